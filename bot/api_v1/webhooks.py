"""``/api/v1/webhooks``: other apps manage their webhook subscriptions (scope
``webhooks:manage``) (issue 17). A token sees and changes only the endpoints it created.
Every input is checked: bad input is a 4xx in the API's error shape, never a 5xx."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.api_v1.auth import api_problem, require_scope
from bot.hub import hub_of
from handoff.webhook_delivery import WebhookError, create_endpoint, delete_endpoint, get_endpoint
from storage.clock import as_utc
from storage.models_webhooks import EVENT_TYPES, WebhookEndpoint

SCOPE = "webhooks:manage"
MAX_BODY = 16_000
MAX_ID = 2**62
FIELDS = frozenset({"url", "events", "name"})
# what the schema promises is accepted (check_url accepts more)
URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~/-]*)?$"


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
        "created_at": _iso(e.created_at),
    }


def _problem(err: WebhookError) -> web.HTTPException:
    codes = {404: "not_found", 409: "conflict"}
    return api_problem(err.status, codes.get(err.status, "invalid_request"), err.message)


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        raise api_problem(404, "not_found", "Không tìm thấy điểm nhận webhook")
    return int(raw)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise api_problem(413, "too_large", f"Nội dung yêu cầu dài quá {MAX_BODY} byte")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise api_problem(400, "invalid_json", "Nội dung yêu cầu phải là JSON hợp lệ (UTF-8)") from err
    if not isinstance(body, dict):
        raise api_problem(400, "invalid_json", "Nội dung yêu cầu phải là một đối tượng JSON")
    extra = sorted(set(body) - FIELDS)
    if extra:
        raise api_problem(400, "invalid_request", f"Trường không hỗ trợ: {', '.join(extra)[:200]}")
    for key in ("events", "name"):  # optional, but never null
        if key in body and body[key] is None:
            raise api_problem(400, "invalid_request", f"Trường {key} không được là null")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def list_webhooks(request: web.Request) -> web.Response:
    token = await require_scope(request, SCOPE)
    async with hub_of(request).sm() as s:
        rows = await s.execute(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.api_token_id == token.id, WebhookEndpoint.deleted_at.is_(None))
            .order_by(WebhookEndpoint.id)
        )
        items = [endpoint_json(e) for e in rows.scalars()]
    return web.json_response({"items": items})


async def create_webhook(request: web.Request) -> web.Response:
    token = await require_scope(request, SCOPE)
    body = await _body(request)
    hub = hub_of(request)
    try:
        async with hub.sm() as s, s.begin():
            endpoint, secret = await create_endpoint(
                s,
                hub.clock.now(),
                url=body.get("url"),
                events=body.get("events"),
                name=body.get("name"),
                api_token_id=token.id,
            )
            out = endpoint_json(endpoint)
    except WebhookError as err:
        raise _problem(err) from err
    return web.json_response({**out, "secret": secret}, status=201)


async def get_webhook(request: web.Request) -> web.Response:
    token = await require_scope(request, SCOPE)
    endpoint_id = _id(request)
    try:
        async with hub_of(request).sm() as s, s.begin():
            out = endpoint_json(await get_endpoint(s, endpoint_id, token.id))
    except WebhookError as err:
        raise _problem(err) from err
    return web.json_response(out)


async def delete_webhook(request: web.Request) -> web.Response:
    token = await require_scope(request, SCOPE)
    endpoint_id = _id(request)
    hub = hub_of(request)
    try:
        async with hub.sm() as s, s.begin():
            await delete_endpoint(s, await get_endpoint(s, endpoint_id, token.id), hub.clock.now())
    except WebhookError as err:
        raise _problem(err) from err
    return web.Response(status=204)


def add_routes(api: web.UrlDispatcher, prefix: str) -> None:
    """Add the routes under ``prefix`` (``/api/v1``)."""
    api.add_get(f"{prefix}/webhooks", list_webhooks, allow_head=False)
    api.add_post(f"{prefix}/webhooks", create_webhook)
    api.add_get(f"{prefix}/webhooks/{{id}}", get_webhook, allow_head=False)
    api.add_delete(f"{prefix}/webhooks/{{id}}", delete_webhook)


_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_ENDPOINT = {
    "type": "object",
    "required": ["id", "name", "url", "events", "active", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "url": {
            "type": "string",
            "maxLength": 2000,
            "pattern": URL_PATTERN,
            "description": "Địa chỉ http(s) nhận sự kiện",
        },
        "events": {"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}},
        "active": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
_CREATED = {
    "allOf": [
        _ENDPOINT,
        {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string"}}},
    ]
}
_CREATE = {
    "type": "object",
    "required": ["url"],
    "additionalProperties": False,
    "properties": {
        "url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2000,
            "description": "http(s) URL nhận sự kiện",
        },
        "events": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": list(EVENT_TYPES)},
            "description": "Mặc định: mọi sự kiện",
        },
        "name": {"type": "string", "maxLength": 200},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Dữ liệu không hợp lệ",
        401: "Thiếu hoặc sai mã truy cập",
        403: "Thiếu quyền webhooks:manage",
        404: "Không tìm thấy",
        413: "Nội dung quá lớn",
        429: "Vượt giới hạn tần suất",
    }
    return {str(c): _json(_ERROR, text[c]) for c in codes}


_SECURITY: list[dict[str, list[str]]] = [{"apiToken": []}]  # bot.api_v1.openapi's scheme
_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/webhooks": {
        "get": {
            "summary": "Danh sách điểm nhận webhook của mã truy cập này",
            "operationId": "listWebhooks",
            "tags": ["webhooks"],
            "security": _SECURITY,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["items"],
                        "properties": {"items": {"type": "array", "items": _ENDPOINT}},
                    },
                    "Các điểm nhận",
                ),
                **_errors(401, 403, 429),
            },
        },
        "post": {
            "summary": "Đăng ký điểm nhận webhook (khoá bí mật chỉ trả về một lần)",
            "operationId": "createWebhook",
            "tags": ["webhooks"],
            "security": _SECURITY,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _CREATE}}},
            "responses": {
                "201": _json(_CREATED, "Đã tạo; lưu lại secret"),
                **_errors(400, 401, 403, 413, 429),
            },
        },
    },
    "/api/v1/webhooks/{id}": {
        "parameters": [_ID_PARAM],
        "get": {
            "summary": "Một điểm nhận webhook",
            "operationId": "getWebhook",
            "tags": ["webhooks"],
            "security": _SECURITY,
            "responses": {"200": _json(_ENDPOINT, "Điểm nhận"), **_errors(401, 403, 404, 429)},
        },
        "delete": {
            "summary": "Xoá điểm nhận webhook (các lần gửi đang chờ bị huỷ)",
            "operationId": "deleteWebhook",
            "tags": ["webhooks"],
            "security": _SECURITY,
            "responses": {"204": {"description": "Đã xoá"}, **_errors(401, 403, 404, 429)},
        },
    },
}
