"""The console's integrations page (admin): API tokens of ``/api/v1`` (issue 17).

| route | what |
|---|---|
| ``GET /console/api/integrations/tokens`` | the tokens (name, prefix, scopes, use, revocation) |
| ``POST /console/api/integrations/tokens`` ``{name, scopes: [...]}`` | a new token, shown once |
| ``POST /console/api/integrations/tokens/{id}/revoke`` | revoke it |

Admins only; every change is in the audit log. The outbound webhooks' page is
:mod:`bot.console.webhooks_admin`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.auth import api_tokens
from bot.console.core import audit_action, error, json_body, require
from bot.hub import hub_of
from storage.clock import as_utc
from storage.models_console import Role
from storage.models_integrations import ApiToken

if TYPE_CHECKING:
    from bot.hub import Hub

API = "/api/integrations/tokens"


def _iso(value: datetime | None) -> str | None:
    when = as_utc(value)
    return when.isoformat() if when else None


def token_json(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "scopes": list(t.scopes),
        "created_by": t.created_by,
        "created_at": _iso(t.created_at),
        "last_used_at": _iso(t.last_used_at),
        "revoked_at": _iso(t.revoked_at),
    }


async def list_tokens(request: web.Request) -> web.Response:
    require(request, Role.ADMIN)
    async with hub_of(request).sm() as s:
        rows = await api_tokens.list_tokens(s)
    return web.json_response({"tokens": [token_json(t) for t in rows], "scopes": list(api_tokens.SCOPES)})


async def create(request: web.Request) -> web.Response:
    user = require(request, Role.ADMIN)
    body = await json_body(request)
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(x, str) for x in scopes):
        return error(400, "Trường scopes phải là danh sách phạm vi")
    name = body.get("name")
    if not isinstance(name, str):
        return error(400, "Cần tên của ứng dụng dùng mã truy cập")
    hub = hub_of(request)
    now = hub.clock.now()
    try:
        async with hub.sm() as s, s.begin():
            row, secret = await api_tokens.create_token(
                s, name=name, scopes=scopes, now=now, created_by_id=user.id, created_by=user.username
            )
            detail = {"name": row.name, "scopes": row.scopes}
            audit_action(s, request, user, "api_token_create", "api_token", row.id, now, detail=detail)
    except api_tokens.TokenError as err:
        return error(400, str(err))
    # the only time the token is shown: it is not stored, only its hash
    return web.json_response({"ok": True, "token": secret, "item": token_json(row)}, status=201)


async def revoke(request: web.Request) -> web.Response:
    user = require(request, Role.ADMIN)
    token_id = int(request.match_info["id"])
    hub = hub_of(request)
    now = hub.clock.now()
    try:
        async with hub.sm() as s, s.begin():
            row = await api_tokens.revoke_token(s, token_id, now)
            audit_action(
                s, request, user, "api_token_revoke", "api_token", row.id, now, detail={"name": row.name}
            )
    except api_tokens.TokenError as err:
        return error(404, str(err))
    return web.json_response({"ok": True, "item": token_json(row)})


def setup(console: web.Application, hub: Hub) -> None:
    """Add the integrations' routes to the console's application."""
    r = console.router
    r.add_get(API, list_tokens)
    r.add_post(API, create)
    r.add_post(API + r"/{id:\d{1,18}}/revoke", revoke)
