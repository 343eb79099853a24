"""Login, logout, the current user and the pages."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from bot.auth import accounts, prelogin
from bot.console.core import (
    COOKIE,
    SESSION_KEY,
    USER_KEY,
    audit_action,
    client_ip,
    current_user,
    error,
    expected_csrf,
    hub_of,
    json_body,
    set_cookie,
    state_of,
    static_asset,
    str_field,
)
from storage.models_console import Agency, User

STATIC = Path(__file__).resolve().parent / "static"
# the console's scripts and style, in the order app.html loads them
STATIC_FILES = frozenset(
    {
        "console.js",
        "breaches.js",
        "datarequests.js",
        "agent.js",
        "tickets.js",
        "admin.js",
        "start.js",
        "console.css",
        "login.js",
        "account.js",
        "report.js",
        "publish.js",
        "campaigns.js",
        "integrations.js",
    }
)
PAGE_HEADERS = {"Cache-Control": "no-store"}  # the security headers: bot.console.core.SECURITY_HEADERS


def user_dict(user: User, agency: Agency | None = None) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "agency_id": user.agency_id,
        "agency_name": agency.name if agency else None,
    }


async def _csrf_token(request: web.Request, response: web.StreamResponse) -> str:
    """This browser's CSRF token. Before login: a signed pre-login cookie, issued now if
    the browser has none (no database row: ``bot.auth.prelogin``)."""
    token = expected_csrf(request)
    if token is not None:
        return token
    state = state_of(request)
    anon = prelogin.new_token(state.signing_key, hub_of(request).clock.now())
    set_cookie(request, response, anon, max_age=int(prelogin.TTL.total_seconds()))
    return prelogin.csrf_for(state.signing_key, anon)


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.get(USER_KEY) is not None:
        raise web.HTTPFound("/console/")
    response = web.Response(
        body=(STATIC / "login.html").read_bytes(),
        content_type="text/html",
        charset="utf-8",
        headers=PAGE_HEADERS,
    )
    await _csrf_token(request, response)
    return response


async def app_page(request: web.Request) -> web.StreamResponse:
    if request.get(USER_KEY) is None:
        raise web.HTTPFound("/console/login")
    return web.Response(
        body=(STATIC / "app.html").read_bytes(),
        content_type="text/html",
        charset="utf-8",
        headers=PAGE_HEADERS,
    )


async def csrf(request: web.Request) -> web.Response:
    """The CSRF token of this browser's session (a pre-login one if needed).
    Readable only by our own pages: a cross-site page cannot read the response."""
    response = web.json_response({})
    token = await _csrf_token(request, response)
    response.text = json.dumps({"csrf": token})
    return response


async def login(request: web.Request) -> web.Response:
    hub = hub_of(request)
    body = await json_body(request)
    username = str_field(body, "username", max_len=200)
    password = str_field(body, "password", max_len=1000)
    now = hub.clock.now()
    ip = client_ip(request)
    failure: accounts.LoginFailed | None = None
    async with hub.sm() as s, s.begin():
        try:
            user, new = await accounts.login(s, username, password, now, ip, request.cookies.get(COOKIE))
        except accounts.LoginFailed as err:  # caught inside: the attempt (and a lock) is committed
            failure = err
        else:
            agency = await s.get(Agency, user.agency_id) if user.agency_id else None
            audit_action(s, request, user, "login", "user", user.id, now)
    if failure is not None:
        return error(429 if failure.locked else 401, str(failure))
    response = web.json_response({"user": user_dict(user, agency), "csrf": new.csrf})
    set_cookie(request, response, new.token)
    return response


async def logout(request: web.Request) -> web.Response:
    hub = hub_of(request)
    user = request.get(USER_KEY)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        await accounts.end_session(s, request.cookies.get(COOKIE))
        if user is not None:
            audit_action(s, request, user, "logout", "user", user.id, now)
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/console")
    return response


async def me(request: web.Request) -> web.Response:
    user = current_user(request)
    hub = hub_of(request)
    async with hub.sm() as s:
        agency = await s.get(Agency, user.agency_id) if user.agency_id else None
    return web.json_response({"user": user_dict(user, agency), "csrf": request[SESSION_KEY].csrf_token})


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return static_asset(STATIC / name)
