"""The console's outbound webhooks (admin): endpoints, delivery log (issue 17).

``/console/api/webhooks``: list and create endpoints (the shared secret is in the create
response only), disable / enable, delete; ``/console/api/webhooks/deliveries``: the delivery
log, newest first, paged and filtered by status, endpoint, event type and ticket code;
``…/deliveries/{id}/redeliver``: a failed delivery is sent again (the workers are woken).
Every change is in the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import func, select

from bot.console.core import audit_action, error, json_body, require
from bot.hub import hub_of
from bot.webhook_worker import wake
from handoff.webhook_delivery import (
    WebhookError,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    redeliver,
    set_active,
)
from storage.clock import as_utc
from storage.models import Ticket
from storage.models_console import Role
from storage.models_webhooks import (
    DELIVERY_STATUSES,
    EVENT_TYPES,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

if TYPE_CHECKING:
    from datetime import datetime

    from bot.hub import Hub

API = "/api/webhooks"  # in the console application, mounted at /console
ID = r"{id:\d{1,18}}"
PER_PAGE, MAX_PER_PAGE = 50, 200


def _iso(value: datetime | None) -> str | None:
    when = as_utc(value)
    return when.isoformat() if when is not None else None


def endpoint_json(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "url": e.url,
        "events": list(e.events or []),
        "active": bool(e.active),
        "api_token_id": e.api_token_id,
        "created_by_id": e.created_by_id,
        "created_at": _iso(e.created_at),
        "updated_at": _iso(e.updated_at),
    }


def delivery_json(d: WebhookDelivery, ev: WebhookEvent, ep: WebhookEndpoint, code: str) -> dict[str, Any]:
    return {
        "id": d.id,
        "endpoint": {"id": ep.id, "name": ep.name, "url": ep.url, "deleted": ep.deleted_at is not None},
        "event": {"id": ev.id, "type": ev.event_type, "ticket_code": code, "created_at": _iso(ev.created_at)},
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": _iso(d.next_attempt_at),
        "last_attempt_at": _iso(d.last_attempt_at),
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "delivered_at": _iso(d.delivered_at),
    }


async def list_endpoints(request: web.Request) -> web.Response:
    require(request, Role.ADMIN)
    async with hub_of(request).sm() as s:
        rows = await s.execute(
            select(WebhookEndpoint).where(WebhookEndpoint.deleted_at.is_(None)).order_by(WebhookEndpoint.id)
        )
        items = [endpoint_json(e) for e in rows.scalars()]
    return web.json_response({"items": items, "event_types": list(EVENT_TYPES)})


async def create(request: web.Request) -> web.Response:
    user = require(request, Role.ADMIN)
    body = await json_body(request)
    hub = hub_of(request)
    now = hub.clock.now()
    try:
        async with hub.sm() as s, s.begin():
            endpoint, secret = await create_endpoint(
                s,
                now,
                url=body.get("url"),
                events=body.get("events"),
                name=body.get("name"),
                created_by_id=user.id,
            )
            audit_action(
                s,
                request,
                user,
                "webhook_created",
                "webhook_endpoint",
                endpoint.id,
                now,
                detail={"url": endpoint.url, "events": endpoint.events},
            )
            out = endpoint_json(endpoint)
    except WebhookError as err:
        return error(err.status, err.message)
    return web.json_response({"endpoint": out, "secret": secret})


def _active_value(body: dict[str, Any]) -> bool:
    value = body.get("active")
    if not isinstance(value, bool):
        raise WebhookError("Trường active phải là true hoặc false")
    return value


async def change(request: web.Request, what: str) -> web.Response:
    user = require(request, Role.ADMIN)
    body = await json_body(request) if what == "active" else {}
    hub = hub_of(request)
    now = hub.clock.now()
    try:
        async with hub.sm() as s, s.begin():
            endpoint = await get_endpoint(s, int(request.match_info["id"]))
            if what == "active":
                active = _active_value(body)
                await set_active(s, endpoint, active, now)
                action = "webhook_enabled" if active else "webhook_disabled"
                detail: dict[str, Any] = {}
            else:
                detail = {"pending_failed": await delete_endpoint(s, endpoint, now)}
                action = "webhook_deleted"
            audit_action(s, request, user, action, "webhook_endpoint", endpoint.id, now, detail=detail)
            out = endpoint_json(endpoint)
    except WebhookError as err:
        return error(err.status, err.message)
    return web.json_response({"endpoint": out})


async def set_endpoint_active(request: web.Request) -> web.Response:
    return await change(request, "active")


async def remove_endpoint(request: web.Request) -> web.Response:
    return await change(request, "delete")


def _filters(request: web.Request) -> tuple[list[Any], int, int]:
    q = request.query
    where: list[Any] = []
    status, event_type = q.get("status", ""), q.get("event", "")
    if status:
        if status not in DELIVERY_STATUSES:
            raise WebhookError(f"Trạng thái không hợp lệ (cho phép: {', '.join(DELIVERY_STATUSES)})")
        where.append(WebhookDelivery.status == status)
    if event_type:
        if event_type not in EVENT_TYPES:
            raise WebhookError(f"Loại sự kiện không hợp lệ (cho phép: {', '.join(EVENT_TYPES)})")
        where.append(WebhookEvent.event_type == event_type)
    if code := q.get("ticket", "").strip():
        where.append(Ticket.code == code[:40])
    endpoint_id = _number(q.get("endpoint_id", ""), "endpoint_id", None)
    if endpoint_id is not None:
        where.append(WebhookDelivery.endpoint_id == endpoint_id)
    page = _number(q.get("page", ""), "page", 1) or 1
    per_page = min(MAX_PER_PAGE, _number(q.get("per_page", ""), "per_page", PER_PAGE) or PER_PAGE)
    return where, max(1, page), max(1, per_page)


def _number(raw: str, name: str, default: int | None) -> int | None:
    raw = raw.strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise WebhookError(f"Tham số {name} phải là số nguyên dương")
    return int(raw)


async def deliveries(request: web.Request) -> web.Response:
    require(request, Role.ADMIN)
    try:
        where, page, per_page = _filters(request)
    except WebhookError as err:
        return error(err.status, err.message)
    base = (
        select(WebhookDelivery, WebhookEvent, WebhookEndpoint, Ticket.code)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Ticket, Ticket.id == WebhookEvent.ticket_id)
        .where(*where)
    )
    async with hub_of(request).sm() as s:
        total = (await s.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
        rows = await s.execute(
            base.order_by(WebhookDelivery.id.desc()).offset((page - 1) * per_page).limit(per_page)
        )
        items = [delivery_json(d, ev, ep, code) for d, ev, ep, code in rows.all()]
    return web.json_response({"items": items, "total": total, "page": page, "per_page": per_page})


async def redeliver_one(request: web.Request) -> web.Response:
    user = require(request, Role.ADMIN)
    hub = hub_of(request)
    now = hub.clock.now()
    delivery_id = int(request.match_info["id"])
    try:
        async with hub.sm() as s, s.begin():
            row = await redeliver(s, delivery_id, now)
            audit_action(s, request, user, "webhook_redelivered", "webhook_delivery", row.id, now)
            out = {"id": row.id, "status": row.status, "attempts": row.attempts}
    except WebhookError as err:
        return error(err.status, err.message)
    await wake(hub.bus)
    return web.json_response({"delivery": out})


def setup(console: web.Application, hub: Hub) -> None:
    """Add the webhooks' routes to the console's application."""
    r = console.router
    r.add_get(API, list_endpoints)
    r.add_post(API, create)
    r.add_get(f"{API}/deliveries", deliveries)
    r.add_post(f"{API}/deliveries/{ID}/redeliver", redeliver_one)
    r.add_post(f"{API}/{ID}/active", set_endpoint_active)
    r.add_post(f"{API}/{ID}/delete", remove_endpoint)
