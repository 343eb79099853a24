"""The console's personal-data breach register (issue 18), for the supervisor and the admin.

JSON under ``/console/api/breaches``: list, record, read (with the hours left on the 72-hour
clock and the generated notification to the authority), correct, mark notified, close. Every
change is audit-logged in its transaction. The domain is :mod:`privacy.breaches`."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.console.core import audit_action, error, json_body, require
from bot.hub import hub_of
from privacy import breach_clock, breaches
from privacy.breaches import BreachError
from storage.clock import as_utc
from storage.models_breaches import Breach
from storage.models_console import Role

if TYPE_CHECKING:
    from bot.hub import Hub

ROLES = (Role.SUPERVISOR, Role.ADMIN)
BASE = "/api/breaches"  # the console app is mounted at /console
ID = r"{id:\d{1,18}}"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# the audit log's actions, written as literals (tests/console/test_labels.py finds them):
# breach_record, breach_update, breach_notified, breach_close; labels in handoff.labels
Change = Callable[[Any, int, dict[str, Any], datetime, str | None], Awaitable[Breach]]


def _guard(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        require(request, *ROLES)
        try:
            return await handler(request)
        except BreachError as err:
            return error(err.status, err.message)

    return run


def _iso(value: datetime | None) -> str | None:
    when = as_utc(value)
    return when.isoformat() if when else None


def _settings(request: web.Request) -> breach_clock.BreachSettings:
    hub = hub_of(request)
    return breach_clock.load(hub.settings.env, hub.settings.hotline_name)


def breach_dict(b: Breach, now: datetime, *, text: str | None = None) -> dict[str, Any]:
    discovered = as_utc(b.discovered_at)
    assert discovered is not None
    out: dict[str, Any] = {
        **{k: getattr(b, k) for k in ("id", "status", "summary", "data_categories", "affected_count")},
        **{k: getattr(b, k) for k in ("consequences", "measures", "recorded_by", "notified_ref")},
        **{k: getattr(b, k) for k in ("notified_by", "closed_by", "close_note")},
        **{k: _iso(getattr(b, k)) for k in ("discovered_at", "occurred_at", "created_at", "updated_at")},
        **{k: _iso(getattr(b, k)) for k in ("reminded_at", "overdue_noticed_at", "notified_at", "closed_at")},
        "status_label": breaches.STATUS_LABELS.get(b.status, b.status),
        "due_at": _iso(breach_clock.due_at(discovered)),
        "hours_left": breach_clock.hours_left(discovered, now) if b.status == "open" else None,
    }
    if text is not None:
        out["notification_text"] = text
    return out


@_guard
async def list_breaches(request: web.Request) -> web.Response:
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s:
        rows = await breaches.listing(s)
        return web.json_response({"breaches": [breach_dict(b, now) for b in rows]})


@_guard
async def get_breach(request: web.Request) -> web.Response:
    hub = hub_of(request)
    now = hub.clock.now()
    cfg = _settings(request)
    async with hub.sm() as s:
        b = await breaches.load(s, int(request.match_info["id"]))
        text = breaches.notification_text(b, cfg, now)
        return web.json_response({"breach": breach_dict(b, now, text=text)})


@_guard
async def create(request: web.Request) -> web.Response:
    user = require(request, *ROLES)
    body = await json_body(request)
    hub = hub_of(request)
    now = hub.clock.now()
    cfg = _settings(request)
    async with hub.sm() as s, s.begin():
        b = await breaches.record(s, body, now, user.id, user.username)
        audit_action(
            s, request, user, "breach_record", "breach", b.id, now, detail={"affected": b.affected_count}
        )
        out = breach_dict(b, now, text=breaches.notification_text(b, cfg, now))
    return web.json_response({"ok": True, "breach": out})


async def _change(request: web.Request, action: str, change: Change) -> web.Response:
    user = require(request, *ROLES)
    body = await json_body(request)
    hub = hub_of(request)
    now = hub.clock.now()
    cfg = _settings(request)
    async with hub.sm() as s, s.begin():
        b = await change(s, int(request.match_info["id"]), body, now, user.username)
        detail = {"fields": sorted(k for k in body if k in breaches.TEXT_FIELDS or k.endswith("_at"))}
        audit_action(s, request, user, action, "breach", b.id, now, detail=detail)
        out = breach_dict(b, now, text=breaches.notification_text(b, cfg, now))
    return web.json_response({"ok": True, "breach": out})


async def _update(s: Any, breach_id: int, body: dict[str, Any], now: datetime, _user: str | None) -> Breach:
    return await breaches.update_facts(s, breach_id, body, now)


@_guard
async def update(request: web.Request) -> web.Response:
    action = "breach_update"
    return await _change(request, action, _update)


@_guard
async def notified(request: web.Request) -> web.Response:
    action = "breach_notified"
    return await _change(request, action, breaches.mark_notified)


@_guard
async def close(request: web.Request) -> web.Response:
    action = "breach_close"
    return await _change(request, action, breaches.close)


def setup(app: web.Application, hub: Hub) -> None:
    """Add the routes to ``app``."""
    r = app.router
    r.add_get(BASE, list_breaches)
    r.add_post(BASE, create)
    r.add_get(f"{BASE}/{ID}", get_breach)
    r.add_post(f"{BASE}/{ID}", update)
    r.add_post(f"{BASE}/{ID}/notified", notified)
    r.add_post(f"{BASE}/{ID}/close", close)
