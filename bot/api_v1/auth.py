"""Bearer API tokens on ``/api/v1`` (issue 17): who calls, with which scope, how often.

:func:`require_scope` is the door of every ``/api/v1`` handler: a missing, unknown or
revoked token is a 401, a token without the scope a 403, a token over its rate limit a 429
with ``Retry-After``; every use of a known token is written to the audit log. The rate limit
counts requests per token in fixed windows (``HUB_API_RATE_LIMIT`` requests per
``HUB_API_RATE_WINDOW_SECONDS``) in Redis when the hub has one, else in the database: either
way shared by every hub process. Errors have one JSON shape, :func:`api_error`."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.auth import api_tokens
from bot.auth.audit import record
from bot.console.core import client_ip
from bot.hub import Hub, hub_of

log = logging.getLogger(__name__)

SCOPES = api_tokens.SCOPES
AUDIT_OBJECT = "api_token"
RATE_LIMIT_ENV = "HUB_API_RATE_LIMIT"
RATE_WINDOW_ENV = "HUB_API_RATE_WINDOW_SECONDS"
DEFAULT_RATE_LIMIT = 120
DEFAULT_RATE_WINDOW = 60
ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    405: web.HTTPMethodNotAllowed,
    409: web.HTTPConflict,
    413: web.HTTPRequestEntityTooLarge,
    415: web.HTTPUnsupportedMediaType,
    422: web.HTTPUnprocessableEntity,
    429: web.HTTPTooManyRequests,
    503: web.HTTPServiceUnavailable,
}


@dataclass(frozen=True)
class ApiTokenInfo:
    id: int
    name: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class RateLimit:
    limit: int
    window: int  # seconds


def _error_body(code: str, message_vi: str) -> str:
    return json.dumps({"error": {"code": code, "message": message_vi}}, ensure_ascii=False)


def api_error(
    status: int, code: str, message_vi: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """The API's one error shape: ``{"error": {"code": ..., "message": ...}}``."""
    return web.Response(
        status=status,
        text=_error_body(code, message_vi),
        content_type="application/json",
        charset="utf-8",
        headers=dict(headers or {}),
    )


def api_problem(
    status: int, code: str, message_vi: str, headers: Mapping[str, str] | None = None
) -> web.HTTPException:
    """The same error as an exception to raise from anywhere under a handler."""
    cls = ERRORS.get(status, web.HTTPBadRequest)
    if cls is web.HTTPMethodNotAllowed:
        return web.HTTPMethodNotAllowed(
            "", [], text=_error_body(code, message_vi), content_type="application/json"
        )
    exc = (
        web.HTTPRequestEntityTooLarge(
            0, 0, text=_error_body(code, message_vi), content_type="application/json"
        )  # the sizes only feed aiohttp's default text, replaced here
        if cls is web.HTTPRequestEntityTooLarge
        else cls(text=_error_body(code, message_vi), content_type="application/json")
    )
    exc.headers.update(headers or {})
    return exc


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def rate_limit(hub: Hub) -> RateLimit:
    env = hub.settings.env
    return RateLimit(
        _positive(env, RATE_LIMIT_ENV, DEFAULT_RATE_LIMIT),
        _positive(env, RATE_WINDOW_ENV, DEFAULT_RATE_WINDOW),
    )


def bearer(request: web.Request) -> str | None:
    value = request.headers.get("Authorization", "")
    kind, _, secret = value.partition(" ")
    return secret.strip() if kind.lower() == "bearer" and secret.strip() else None


async def _redis_count(hub: Hub, token_key: str, window_start: int, window: int) -> int | None:
    """The request's number in the token's window, counted in Redis (None: Redis failed).
    The key holds a part of the token's hash, not its id: hubs sharing a Redis never mix."""
    try:
        key = f"hub:api:rate:{token_key}:{window_start}"
        count = int(await hub.redis.incr(key))
        if count == 1:
            await hub.redis.expire(key, window * 2)
        return count
    except Exception as err:  # Redis down: the database counts instead
        log.warning("api rate limit: Redis unavailable (%s), counting in the database", err)
        return None


def _retry_after(now: datetime, window_start: int, window: int) -> int:
    return max(1, math.ceil((window_start + 1) * window - now.timestamp()))


async def require_scope(request: web.Request, scope: str) -> ApiTokenInfo:
    """The calling app's token if it may use ``scope`` now; else raises the API's 401, 403
    or 429 error. Every use of a known token is audited."""
    hub = hub_of(request)
    secret = bearer(request)
    if secret is None:
        raise api_problem(
            401,
            "unauthorized",
            "Thiếu mã truy cập API: gửi tiêu đề 'Authorization: Bearer <mã>'",
            {"WWW-Authenticate": "Bearer"},
        )
    now = hub.clock.now()
    limits = rate_limit(hub)
    window_start = int(now.timestamp()) // limits.window
    count: int | None = None
    async with hub.sm() as s, s.begin():
        row = await api_tokens.find_token(s, secret)
        if row is None:
            outcome = "unknown"
        else:
            outcome = _outcome(row.revoked_at, row.scopes, scope)
            if outcome == "ok":
                if hub.redis is not None:
                    count = await _redis_count(hub, row.token_hash[:24], window_start, limits.window)
                if count is None:
                    count = await api_tokens.count_request(s, row.id, window_start)
                if count > limits.limit:
                    outcome = "rate_limited"
                else:
                    await api_tokens.mark_used(s, row.id, now)
            _audit(s, request, row.id, row.name, scope, outcome, now)
    if row is None or outcome != "ok":
        raise _refusal(outcome, scope, limits, _retry_after(now, window_start, limits.window))
    return ApiTokenInfo(id=row.id, name=row.name, scopes=frozenset(row.scopes))


def _outcome(revoked_at: datetime | None, scopes: list[str], scope: str) -> str:
    if revoked_at is not None:
        return "revoked"
    return "ok" if scope in scopes else "forbidden"


def _audit(
    s: Any, request: web.Request, token_id: int, name: str, scope: str, outcome: str, now: datetime
) -> None:
    record(
        s,
        user=None,
        action="api_request" if outcome == "ok" else f"api_{outcome}",
        object_type=AUDIT_OBJECT,
        object_id=token_id,
        now=now,
        ip=client_ip(request),
        detail={"token": name, "method": request.method, "path": request.path[:300], "scope": scope},
    )


def _refusal(outcome: str, scope: str, limits: RateLimit, retry_after: int) -> web.HTTPException:
    if outcome == "unknown":
        return api_problem(
            401, "unauthorized", "Mã truy cập API không hợp lệ", {"WWW-Authenticate": "Bearer"}
        )
    if outcome == "revoked":
        return api_problem(
            401, "token_revoked", "Mã truy cập API này đã bị thu hồi", {"WWW-Authenticate": "Bearer"}
        )
    if outcome == "forbidden":
        return api_problem(403, "forbidden", f"Mã truy cập này không có quyền '{scope}'")
    return api_problem(
        429,
        "rate_limited",
        f"Vượt quá {limits.limit} yêu cầu trong {limits.window} giây; hãy thử lại sau {retry_after} giây",
        {"Retry-After": str(retry_after)},
    )
