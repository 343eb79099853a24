"""Legal holds in the console (issue 18): a supervisor or an admin keeps a contact, ticket
or conversation from the retention job and from anonymisation, and releases it.

``GET /console/api/legal-holds[?all=1]``: active holds (``all``: released ones too), newest
first. ``POST /console/api/legal-holds`` ``{"object_kind", "object_id", "reason"}`` places a
hold (audited ``legal_hold_place``); ``POST /console/api/legal-holds/{id}/release`` releases
it (audited ``legal_hold_release``). The rows are written by :mod:`privacy.legal_hold`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import select

from bot.console.core import OVERSIGHT, audit_action, hub_of, int_field, json_body, require, str_field
from handoff.workflow import WorkflowError
from privacy import legal_hold
from storage.models_retention import LegalHold

if TYPE_CHECKING:
    from bot.hub import Hub

ID = r"{id:\d{1,18}}"
LIST_MAX = 1000


def hold_dict(h: LegalHold) -> dict[str, Any]:
    return {
        "id": h.id,
        "object_kind": h.object_kind,
        "object_id": h.object_id,
        "reason": h.reason,
        "set_by": h.set_by,
        "set_at": h.set_at.isoformat(),
        "released_at": h.released_at.isoformat() if h.released_at else None,
        "released_by": h.released_by,
    }


async def list_holds(request: web.Request) -> web.Response:
    require(request, *OVERSIGHT)
    hub = hub_of(request)
    q = select(LegalHold).order_by(LegalHold.id.desc()).limit(LIST_MAX)
    if request.query.get("all", "") not in ("1", "true"):
        q = q.where(LegalHold.released_at.is_(None))
    async with hub.sm() as s:
        rows = (await s.scalars(q)).all()
    return web.json_response({"holds": [hold_dict(h) for h in rows]})


async def place_hold(request: web.Request) -> web.Response:
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    body = await json_body(request)
    kind = str_field(body, "object_kind", max_len=20).strip()
    object_id = int_field(body, "object_id")
    reason = str_field(body, "reason", max_len=legal_hold.MAX_REASON)
    assert object_id is not None
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        try:
            hold = await legal_hold.place(s, kind, object_id, reason, now, by=user.username, by_id=user.id)
        except legal_hold.LegalHoldError as err:
            raise WorkflowError(str(err), 404 if str(err) in legal_hold.NOT_FOUND.values() else 400) from err
        detail = {"hold_id": hold.id, "object_kind": kind, "object_id": object_id}
        audit_action(s, request, user, "legal_hold_place", kind, object_id, now, detail=detail)
        out = hold_dict(hold)
    return web.json_response({"hold": out})


async def release_hold(request: web.Request) -> web.Response:
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        try:
            hold = await legal_hold.release(s, int(request.match_info["id"]), now, by=user.username)
        except legal_hold.LegalHoldError as err:
            raise WorkflowError(str(err), 404 if hold_missing(err) else 409) from err
        detail = {"hold_id": hold.id, "object_kind": hold.object_kind, "object_id": hold.object_id}
        audit_action(
            s, request, user, "legal_hold_release", hold.object_kind, hold.object_id, now, detail=detail
        )
        out = hold_dict(hold)
    return web.json_response({"hold": out})


def hold_missing(err: Exception) -> bool:
    return str(err) == legal_hold.HOLD_NOT_FOUND


def setup(console: web.Application, hub: Hub) -> None:
    """Add the routes to the console's application."""
    r = console.router
    r.add_get("/api/legal-holds", list_holds)
    r.add_post("/api/legal-holds", place_hold)
    r.add_post(f"/api/legal-holds/{ID}/release", release_hold)
