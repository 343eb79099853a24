"""The audit log as a person reads it, and the translation table for the console page.

``GET /console/api/audit`` keeps the raw ``action``, ``object_type`` and ``object_id`` and
adds ``action_label`` (Vietnamese) and ``object_label``: the object by its ticket code, the
user's full name (or username), the agency's or domain's name, else its kind and number.
``GET /console/api/labels`` serves :data:`handoff.labels.TABLES` once to console.js.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.core import OVERSIGHT, current_user, require
from bot.hub import hub_of
from handoff.labels import as_json, label
from storage.clock import as_utc
from storage.models import Ticket
from storage.models_console import Agency, AuditLog, Domain, User

# object_type -> (model, the column that names a row)
_NAMED: dict[str, tuple[Any, Any]] = {
    "ticket": (Ticket, Ticket.code),
    "agency": (Agency, Agency.name),
    "domain": (Domain, Domain.name),
}


async def _names(s: AsyncSession, rows: Sequence[AuditLog]) -> dict[tuple[str, str], str]:
    """(object_type, object_id) -> the object's code or name, for the kinds that have one."""
    wanted: dict[str, set[int]] = {}
    for a in rows:
        if a.object_id is not None and a.object_id.isdigit():
            wanted.setdefault(a.object_type, set()).add(int(a.object_id))
    found: dict[tuple[str, str], str] = {}
    for kind, (model, column) in _NAMED.items():
        if ids := wanted.get(kind):
            for i, name in (await s.execute(select(model.id, column).where(model.id.in_(ids)))).all():
                found[(kind, str(i))] = str(name)
    if ids := wanted.get("user"):
        stmt = select(User.id, User.full_name, User.username).where(User.id.in_(ids))
        for i, full, username in (await s.execute(stmt)).all():
            found[("user", str(i))] = full or username
    return found


def object_label(a: AuditLog, names: dict[tuple[str, str], str]) -> str:
    kind = label("audit_object", a.object_type)
    if a.object_id is None:
        return kind
    name = names.get((a.object_type, a.object_id))
    return f"{kind} {name}" if name else f"{kind} #{a.object_id}"


async def audit_log(request: web.Request) -> web.Response:
    """Read-only: there is deliberately no route that edits or deletes it."""
    require(request, *OVERSIGHT)
    stmt = select(AuditLog)
    if obj := request.query.get("object_type"):
        stmt = stmt.where(AuditLog.object_type == obj)
    if oid := request.query.get("object_id"):
        stmt = stmt.where(AuditLog.object_id == oid)
    async with hub_of(request).sm() as s:
        rows = (await s.execute(stmt.order_by(AuditLog.id.desc()).limit(500))).scalars().all()
        names = await _names(s, rows)
        return web.json_response(
            {
                "entries": [
                    {
                        "id": a.id,
                        "at": _iso(a),
                        "username": a.username,
                        "role": a.role,
                        "ip": a.ip,
                        "action": a.action,
                        "action_label": label("audit_action", a.action),
                        "object_type": a.object_type,
                        "object_id": a.object_id,
                        "object_label": object_label(a, names),
                        "detail": a.detail,
                    }
                    for a in rows
                ]
            }
        )


def _iso(a: AuditLog) -> str | None:
    v = as_utc(a.at)
    return v.isoformat() if v else None


async def labels(request: web.Request) -> web.Response:
    """The translation table (every signed-in user: the page maps values to labels)."""
    current_user(request)
    return web.json_response(as_json())
