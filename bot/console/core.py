"""Shared plumbing of the console: its state, the middleware of its application (session,
CSRF, security headers), role checks, JSON helpers and publishing a workflow outcome after
commit."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.auth import accounts, audit, prelogin
from bot.hub import Hub, hub_of
from bot.serialize import publish_message
from connectors.http_json import INT64_MAX, JsonLimits, bad_request, int_value, read_object
from connectors.text import needs_cleaning
from handoff.calendar import HOTLINE_TZ, WorkingCalendar
from handoff.workflow import Actor, Outcome, WorkflowError
from storage.clock import as_utc
from storage.models import Message
from storage.models_console import Agency, AuditLog, Notification, Role, User, UserSession

log = logging.getLogger(__name__)

COOKIE = "hub_console"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TICKETS_TOPIC = "console:tickets"
NOTICES_TOPIC = "console:notifications"
MAX_JSON = 256 * 1024
JSON_LIMITS = JsonLimits(max_bytes=MAX_JSON, max_depth=32, max_items=1000, max_string=20_000)
# on every /console response (pages, API, files): no framing, no sniffing, own scripts only
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STAFF = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
OVERSIGHT = (Role.SUPERVISOR, Role.ADMIN)
# ``require(request)`` without roles: the roles that work on tickets. The communications
# officer (campaigns only) is let in only where a route names it; its own account's routes
# use ``current_user``.
TICKET_ROLES = (Role.OPERATOR, Role.AGENCY, Role.SUPERVISOR, Role.ADMIN)


@dataclass
class ConsoleState:
    calendar: WorkingCalendar
    prefix: str
    media_dir: Path
    secure_cookies: bool
    deadline_interval: float = 60.0
    trusted_proxies: frozenset[str] = frozenset()
    signing_key: bytes = b""  # pre-login tokens (bot.auth.prelogin), loaded at startup


# on the hub's application (``bot.routes``), read through ``request.config_dict`` by the
# console's sub-application and by the hub's own routes (``client_ip``)
CONSOLE = web.AppKey("console", ConsoleState)
USER_KEY = web.RequestKey("console_user", User)
SESSION_KEY = web.RequestKey("console_session", UserSession)
PRELOGIN_KEY = web.RequestKey("console_prelogin", str)  # a valid pre-login cookie


def state_of(request: web.Request) -> ConsoleState:
    """The console's state, from the console's application or the hub's."""
    return request.config_dict[CONSOLE]


def client_ip(request: web.Request) -> str | None:
    """The client's address; behind a reverse proxy listed in ``HUB_TRUSTED_PROXIES`` the
    last address that proxy appended to ``X-Forwarded-For``."""
    remote = request.remote
    trusted = state_of(request).trusted_proxies
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


# A view (view_ticket, view_conversation) is recorded once per look: not again while it is
# the same user's latest audit row and younger than this (a page that loads the object twice,
# a refresh, a live update). Any other action of the user in between starts a new look.
VIEW_REPEAT_WINDOW = timedelta(minutes=10)
_VIEW_LOCK = 1022  # PostgreSQL advisory lock class: (this, user id) serialises a user's views


async def audit_view(
    s: AsyncSession,
    request: web.Request,
    user: User,
    action: str,
    object_type: str,
    object_id: int | str,
    now: datetime,
    *,
    detail: dict[str, Any] | None = None,
) -> AuditLog | None:
    """Record that ``user`` looked at an object, unless their latest audit row is this same
    view less than :data:`VIEW_REPEAT_WINDOW` ago (then None). In the caller's transaction;
    on PostgreSQL a transaction-scoped advisory lock per user makes two concurrent loads of
    the same page write one row (SQLite serialises write transactions already)."""
    if s.get_bind().dialect.name == "postgresql":
        await s.execute(text("SELECT pg_advisory_xact_lock(:k, :u)"), {"k": _VIEW_LOCK, "u": user.id})
    latest = (
        await s.execute(
            select(AuditLog).where(AuditLog.user_id == user.id).order_by(AuditLog.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if (
        latest is not None
        and (latest.action, latest.object_type, latest.object_id) == (action, object_type, str(object_id))
        and (at := as_utc(latest.at)) is not None
        and now - at < VIEW_REPEAT_WINDOW
    ):
        return None
    return audit_action(s, request, user, action, object_type, object_id, now, detail=detail)


def set_cookie(
    request: web.Request, response: web.StreamResponse, token: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        COOKIE,
        token,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=state_of(request).secure_cookies,
        max_age=max_age or int(accounts.SESSION_IDLE.total_seconds()),
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


async def own_agency(hub: Hub, user: User) -> str | None:
    """The agency an officer acts for (None: any, for admins and supervisors)."""
    if user.role != Role.AGENCY.value:
        return None
    async with hub.sm() as s:
        agency = await s.get(Agency, user.agency_id) if user.agency_id else None
    if agency is None:
        raise WorkflowError("Tài khoản chưa gắn với đơn vị nào", 403)
    return agency.name


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
    """The console application's middleware: the session and CSRF checks (``_guarded``),
    and the security headers on every response, whatever handled it (a 404 too)."""
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exc:
        _secure(exc.headers)
        raise
    if not response.prepared:  # a WebSocket has already sent its headers
        _secure(response.headers)
    return response


def _secure(headers: Any) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session from its cookie; refuse a state change without the session's CSRF
    token (synchronizer token; before login a signed double-submit token) or from another
    origin; refuse control characters in the URL before they reach a query."""
    if any(needs_cleaning(v) for v in (*request.query.values(), *request.match_info.values())):
        return error(400, "Địa chỉ yêu cầu chứa ký tự điều khiển không hợp lệ")
    hub = hub_of(request)
    now = hub.clock.now()
    token = request.cookies.get(COOKIE)
    row: UserSession | None = None
    if prelogin.is_prelogin(token):
        if prelogin.valid(state_of(request).signing_key, token, now):
            request[PRELOGIN_KEY] = str(token)
    elif token:
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
    if request.method not in SAFE_METHODS and not _csrf_ok(request):
        return error(403, "Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang")
    try:
        return await handler(request)
    except WorkflowError as err:
        return error(err.status, str(err))


def expected_csrf(request: web.Request) -> str | None:
    """The CSRF token this browser must send back: its session's, or its pre-login one's."""
    row = request.get(SESSION_KEY)
    if row is not None:
        return row.csrf_token
    anon = request.get(PRELOGIN_KEY)
    return prelogin.csrf_for(state_of(request).signing_key, anon) if anon else None


def _csrf_ok(request: web.Request) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    expected = expected_csrf(request)
    return bool(sent and expected and hmac.compare_digest(sent.encode(), expected.encode()))


def current_user(request: web.Request) -> User:
    user = request.get(USER_KEY)
    if user is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "Chưa đăng nhập hoặc phiên đã hết hạn"}),
            content_type="application/json",
        )
    return user


def require(request: web.Request, *roles: Role) -> User:
    """The signed-in user if their role is one of ``roles`` (none given: :data:`TICKET_ROLES`)."""
    user = current_user(request)
    if user.role not in {r.value for r in roles or TICKET_ROLES}:
        raise web.HTTPForbidden(
            text=json.dumps({"error": "Vai trò của bạn không được truy cập chức năng này"}),
            content_type="application/json",
        )
    return user


def actor(user: User) -> Actor:
    return Actor(user_id=user.id, role=Role(user.role), agency_id=user.agency_id, username=user.username)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The body as a bounded JSON object with storable strings (``connectors.http_json``)."""
    return await read_object(request, JSON_LIMITS)


def int_field(body: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = body.get(key)
    if value in (None, "") and not required:
        return None
    return int_value(value, key, maximum=INT64_MAX)


def date_param(request: web.Request, key: str) -> datetime | None:
    """A ``YYYY-MM-DD`` query parameter: that day's start in Việt Nam."""
    raw = request.query.get(key, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as err:
        raise bad_request(f"Tham số {key} phải có dạng YYYY-MM-DD") from err
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise bad_request(f"Tham số {key}: năm phải từ {YEARS[0]} đến {YEARS[1]}")
    return datetime.combine(day, time(0), HOTLINE_TZ)


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
    if when.tzinfo is None:  # a datetime-local input has no offset: the hotline's time
        when = when.replace(tzinfo=HOTLINE_TZ)
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise WorkflowError(f"Trường {key}: năm phải từ {YEARS[0]} đến {YEARS[1]}", 400)
    return when


YEARS = (1970, 2999)  # dates a person may give; far from datetime's limits (no overflow in arithmetic)


async def publish_messages(hub: Hub, messages: list[Message]) -> None:
    for msg in messages:
        await publish_message(hub.bus, msg)
    if any(m.direction == "out" for m in messages):
        hub.wake_outbox()


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
        hub.wake_outbox()
