"""Shared plumbing of the console: its state, the session/CSRF middleware, role checks,
JSON helpers and publishing a workflow outcome after commit."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import HUB, Hub
from bot.auth import accounts, audit
from bot.db.models import Message
from bot.db.models_console import AuditLog, Notification, Role, User, UserSession
from bot.events import conversation_topic
from bot.serialize import message_event
from handoff.calendar import WorkingCalendar
from handoff.workflow import Actor, Outcome, WorkflowError

log = logging.getLogger(__name__)

COOKIE = "hub_console"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TICKETS_TOPIC = "console:tickets"
NOTICES_TOPIC = "console:notifications"
MAX_JSON = 256 * 1024
STAFF = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
OVERSIGHT = (Role.SUPERVISOR, Role.ADMIN)


@dataclass
class ConsoleState:
    calendar: WorkingCalendar
    prefix: str
    media_dir: Path
    secure_cookies: bool
    deadline_interval: float = 60.0
    trusted_proxies: frozenset[str] = frozenset()


CONSOLE = web.AppKey("console", ConsoleState)
USER_KEY = web.RequestKey("console_user", User)
SESSION_KEY = web.RequestKey("console_session", UserSession)


def client_ip(request: web.Request) -> str | None:
    """The client's address; behind a reverse proxy listed in ``HUB_TRUSTED_PROXIES`` the
    last address that proxy appended to ``X-Forwarded-For``."""
    remote = request.remote
    trusted = request.app[CONSOLE].trusted_proxies
    if remote in trusted and (fwd := request.headers.get("X-Forwarded-For")):
        hops = [h.strip() for h in fwd.split(",") if h.strip()]
        while hops and hops[-1] in trusted:
            hops.pop()
        if hops:
            return hops[-1][:64]
    return remote


def audit_action(
    s: AsyncSession,
    request: web.Request,
    user: User | None,
    action: str,
    object_type: str,
    object_id: int | str | None,
    now: datetime,
    *,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Record in the audit log what ``user`` did through this request, from its client address."""
    return audit.record(
        s,
        user=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        now=now,
        ip=client_ip(request),
        detail=detail,
    )


def hub_of(request: web.Request) -> Hub:
    return request.app[HUB]


def set_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=request.app[CONSOLE].secure_cookies,
        max_age=int(accounts.SESSION_IDLE.total_seconds()),
    )


def static_asset(path: Path) -> web.Response:
    """A console script or stylesheet: no caching, no MIME sniffing."""
    ctype = "application/javascript" if path.suffix == ".js" else "text/css"
    return web.Response(
        body=path.read_bytes(),
        content_type=ctype,
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _same_origin(request: web.Request) -> bool:
    """A browser's Origin (sent on every cross-site POST and WebSocket) must be ours."""
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser request; the CSRF token still applies
        return True
    host = request.headers.get("Host", "")
    return urlsplit(origin).netloc == host


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For /console only: load the session from its cookie; refuse a state change without
    the session's CSRF token (synchronizer token pattern) or from another origin."""
    if not request.path.startswith("/console"):
        return await handler(request)
    hub = request.app[HUB]
    now = hub.clock.now()
    token = request.cookies.get(COOKIE)
    async with hub.sm() as s, s.begin():
        row = await accounts.find_session(s, token, now)
        user = await s.get(User, row.user_id) if row is not None and row.user_id is not None else None
        if row is not None:
            await accounts.touch(row, now)
    if row is not None:
        request[SESSION_KEY] = row
    if user is not None and user.active:
        request[USER_KEY] = user
    if request.method not in SAFE_METHODS or request.headers.get("Upgrade", "").lower() == "websocket":
        if not _same_origin(request):
            return error(403, "Yêu cầu từ nguồn khác bị từ chối")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if row is None or not sent or not hmac.compare_digest(sent.encode(), row.csrf_token.encode()):
            return error(403, "Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang")
    try:
        return await handler(request)
    except WorkflowError as err:
        return error(err.status, str(err))


def current_user(request: web.Request) -> User:
    user = request.get(USER_KEY)
    if user is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "Chưa đăng nhập hoặc phiên đã hết hạn"}),
            content_type="application/json",
        )
    return user


def require(request: web.Request, *roles: Role) -> User:
    user = current_user(request)
    if roles and user.role not in {r.value for r in roles}:
        raise web.HTTPForbidden(
            text=json.dumps({"error": "Vai trò của bạn không được truy cập chức năng này"}),
            content_type="application/json",
        )
    return user


def actor(user: User) -> Actor:
    return Actor(user_id=user.id, role=Role(user.role), agency_id=user.agency_id, username=user.username)


async def json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.content.read(MAX_JSON + 1)
    if len(raw) > MAX_JSON:
        raise WorkflowError("Dữ liệu gửi lên quá lớn", 413)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as err:
        raise WorkflowError("JSON không hợp lệ", 400) from err
    if not isinstance(body, dict):
        raise WorkflowError("Cần một đối tượng JSON", 400)
    return body


def int_field(body: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = body.get(key)
    if value in (None, "") and not required:
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise WorkflowError(f"Trường {key} phải là số", 400) from err


def str_field(body: dict[str, Any], key: str, *, max_len: int = 20000) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise WorkflowError(f"Trường {key} phải là chuỗi", 400)
    if len(value) > max_len:
        raise WorkflowError(f"Trường {key} quá dài (tối đa {max_len} ký tự)", 400)
    return value


def time_field(body: dict[str, Any], key: str) -> datetime:
    value = str_field(body, key, max_len=64)
    try:
        when = datetime.fromisoformat(value)
    except ValueError as err:
        raise WorkflowError(f"Trường {key}: thời điểm không hợp lệ (ISO 8601)", 400) from err
    if when.tzinfo is None:
        when = when.replace(tzinfo=CALENDAR_TZ_FALLBACK)
    return when


CALENDAR_TZ_FALLBACK = ZoneInfo("Asia/Ho_Chi_Minh")  # a datetime-local input has no offset


async def publish_messages(hub: Hub, messages: list[Message]) -> None:
    for msg in messages:
        await hub.bus.publish(conversation_topic(msg.conversation_id), message_event(msg))
    if any(m.direction == "out" for m in messages):
        hub.relay.notify()


def notification_event(n: Notification) -> dict[str, Any]:
    """The live event that shows a notification on the consoles of its role/agency."""
    return {
        "type": "notification",
        "role": n.role,
        "agency_id": n.agency_id,
        "ticket_id": n.ticket_id,
        "kind": n.kind,
        "text": n.text,
    }


async def publish_outcome(hub: Hub, out: Outcome) -> None:
    """After commit: messages out through the citizen's channel, live updates to consoles."""
    try:
        await publish_messages(hub, out.messages)
        await hub.bus.publish(
            TICKETS_TOPIC,
            {
                "type": "ticket",
                "ticket_id": out.ticket.id,
                "status": out.ticket.status,
                "agency_id": out.track.agency_id,
            },
        )
        for n in out.notifications:
            await hub.bus.publish(NOTICES_TOPIC, notification_event(n))
    except Exception:  # events are hints; the data is committed and the relay sweeps the outbox
        log.exception("publishing a ticket update failed")
        hub.relay.notify()
