"""What every ``/api/v1`` handler shares: JSON errors everywhere (also for the router's
404/405 and a body that is not JSON), the bounded JSON body, and field checks whose rules are
exactly those the OpenAPI document states (:mod:`bot.api_v1.openapi`)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.api_v1.auth import api_error, api_problem
from connectors.http_json import JsonLimits, parse_object, read_body
from connectors.text import storable
from storage.record.state import is_transient_db_error

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BODY_LIMITS = JsonLimits(max_bytes=64 * 1024, max_depth=8, max_items=100, max_string=20_000)
# spaces and control characters, spelled out: ``\s`` means other characters in Python's ``re``
# (\x1c-\x1f, \x85) than in the ECMA regexes of JSON Schema (\ufeff), and the document's
# patterns must accept exactly what the server does
BLANK = "\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
# a value with something visible in it (the OpenAPI document's ``pattern`` is the same text)
VISIBLE_PATTERN = f"[^{BLANK}]"
VISIBLE = re.compile(VISIBLE_PATTERN)
DEFAULT_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ"),
    401: ("unauthorized", "Cần mã truy cập API"),
    403: ("forbidden", "Không có quyền"),
    404: ("not_found", "Không có địa chỉ này trong API"),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ ở địa chỉ này"),
    413: ("payload_too_large", "Dữ liệu gửi lên quá lớn"),
    415: ("unsupported_media_type", "Cần dữ liệu JSON (Content-Type: application/json)"),
}
RETRY_AFTER_SECONDS = 5


def in_api(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _message_of(exc: web.HTTPException) -> tuple[str, str]:
    code, message = DEFAULT_MESSAGES.get(exc.status, ("error", exc.reason or "Lỗi"))
    try:
        body = json.loads(exc.text or "")
    except ValueError:
        return code, message
    if isinstance(body, dict) and isinstance(body.get("error"), str):  # connectors.http_json
        return code, body["error"]
    return code, message


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under ``/api/v1`` every error is the API's JSON error, never an HTML page."""
    if not in_api(request.path):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if _ours(exc):
            raise
        code, message = _message_of(exc)
        keep = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After", "WWW-Authenticate")}
        return api_error(exc.status, code, message, keep)
    except Exception as err:
        if not is_transient_db_error(err):
            raise
        log.warning("%s %s: database unavailable (%s)", request.method, request.path, err.__class__.__name__)
        return api_error(
            503,
            "unavailable",
            "Hệ thống tạm thời không truy cập được dữ liệu; xin thử lại sau ít giây",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def _ours(exc: web.HTTPException) -> bool:
    try:
        body = json.loads(exc.text or "")
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


def invalid(message_vi: str) -> web.HTTPException:
    return api_problem(400, "invalid_request", message_vi)


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a bounded JSON object (strings made storable)."""
    if request.content_type != "application/json":
        raise api_problem(415, "unsupported_media_type", DEFAULT_MESSAGES[415][1])
    return parse_object(await read_body(request, BODY_LIMITS), BODY_LIMITS)


def text_field(
    body: dict[str, Any],
    key: str,
    *,
    max_len: int,
    required: bool,
    pattern: re.Pattern[str] | None = None,
) -> str | None:
    """A string field as the document describes it: ``None`` when absent (or null and not
    required); it must contain a visible character and fit ``max_len`` (and ``pattern``)."""
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(f"Thiếu trường bắt buộc '{key}'")
        return None
    if not isinstance(value, str):
        raise invalid(f"Trường '{key}' phải là chuỗi")
    if len(value) > max_len:
        raise invalid(f"Trường '{key}' dài quá {max_len} ký tự")
    if not VISIBLE.search(value):
        raise invalid(f"Trường '{key}' không được để trống")
    if pattern is not None and not pattern.search(value):
        raise invalid(f"Trường '{key}' không đúng định dạng")
    return value.strip()


def unknown_fields(body: dict[str, Any], allowed: frozenset[str]) -> None:
    extra = sorted(k for k in body if k not in allowed)
    if extra:
        raise invalid(f"Trường không được hỗ trợ: {', '.join(extra)[:300]}")


def query_text(request: web.Request, key: str, max_len: int) -> str:
    value = request.query.get(key, "")
    if len(value) > max_len:
        raise invalid(f"Tham số '{key}' dài quá {max_len} ký tự")
    return storable(value).strip()


def query_int(request: web.Request, key: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(key)
    if raw is None:
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", raw) or not low <= int(raw) <= high:
        raise invalid(f"Tham số '{key}' phải là số nguyên từ {low} đến {high}")
    return int(raw)
