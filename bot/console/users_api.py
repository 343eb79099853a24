"""Accounts, for admins: the list (with each agency's name), creating one, editing its name,
role, agency and active state, and setting a new password. The rules live in
``bot.auth.accounts``; every change is audited here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.auth import accounts
from bot.auth.passwords import WeakPassword
from bot.console.account_api import email_field, email_notices_field
from bot.console.core import (
    audit_action,
    hub_of,
    int_field,
    json_body,
    require,
    str_field,
)
from handoff.workflow import WorkflowError
from storage.clock import as_utc
from storage.models_console import Agency, Role, User

EDITABLE = ("full_name", "role", "agency_id", "active", "email", "email_notices")


def _iso(value: datetime | None) -> str | None:
    v = as_utc(value)
    return v.isoformat() if v else None


def user_dict(u: User, agency_name: str | None) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "full_name": u.full_name,
        "role": u.role,
        "agency_id": u.agency_id,
        "agency_name": agency_name,
        "active": u.active,
        "locked_until": _iso(u.locked_until),
        "email": u.email,
        "email_notices": bool(u.email_notices),
    }


async def users(request: web.Request) -> web.Response:
    require(request, Role.ADMIN)
    async with hub_of(request).sm() as s:
        rows = await s.execute(
            select(User, Agency.name).outerjoin(Agency, Agency.id == User.agency_id).order_by(User.username)
        )
        return web.json_response({"users": [user_dict(u, name) for u, name in rows.all()]})


async def create_user(request: web.Request) -> web.Response:
    admin = require(request, Role.ADMIN)
    hub = hub_of(request)
    body = await json_body(request)
    now = hub.clock.now()
    try:
        async with hub.sm() as s, s.begin():
            user = await accounts.create_user(
                s,
                username=str_field(body, "username", max_len=100),
                password=str_field(body, "password", max_len=1000),
                role=str_field(body, "role", max_len=20),
                now=now,
                full_name=str_field(body, "full_name", max_len=200),
                agency_id=int_field(body, "agency_id", required=False),
            )
            audit_action(
                s,
                request,
                admin,
                "create_user",
                "user",
                user.id,
                now,
                detail={"username": user.username, "role": user.role},
            )
    except (accounts.AccountError, WeakPassword, ValueError) as err:
        raise WorkflowError(str(err), 400) from err
    return web.json_response({"ok": True, "id": user.id})


def _role(body: dict[str, Any]) -> Role | None:
    if "role" not in body or body["role"] is None:
        return None
    try:
        return Role(str_field(body, "role", max_len=20))
    except ValueError as err:
        raise WorkflowError("Vai trò không hợp lệ", 400) from err


def _active(body: dict[str, Any]) -> bool | None:
    value = body.get("active")
    if value is None:
        return None
    if not isinstance(value, bool):
        raise WorkflowError("Trường active phải là true hoặc false", 400)
    return value


async def _edit(
    request: web.Request, body: dict[str, Any], action: str, *, clear_lock: bool = False
) -> dict[str, Any]:
    """Apply ``body`` (any of :data:`EDITABLE`) to the account in the path, audited as one
    ``action`` row with the changed fields; the account as JSON."""
    admin = require(request, Role.ADMIN)
    hub = hub_of(request)
    user_id = int(request.match_info["id"])
    now = hub.clock.now()
    full_name = str_field(body, "full_name", max_len=200) if "full_name" in body else None
    agency_given = "agency_id" in body
    agency_id = int_field(body, "agency_id", required=False) if agency_given else None
    role, active = _role(body), _active(body)
    email = email_field(body) if "email" in body else None
    email_notices = email_notices_field(body)
    async with hub.sm() as s, s.begin():
        user = await s.get(User, user_id, with_for_update=True)
        if user is None:
            raise WorkflowError("Không tìm thấy tài khoản", 404)
        try:
            changed = await accounts.update_user(
                s,
                user,
                now,
                full_name=full_name,
                role=role,
                agency_id=agency_id,
                agency_given=agency_given,
                active=active,
                email=email,
                email_notices=email_notices,
            )
        except accounts.AccountError as err:
            raise WorkflowError(str(err), 400) from err
        if clear_lock:
            user.locked_until = None
        audit_action(s, request, admin, action, "user", user.id, now, detail={"changed": changed})
        agency = await s.get(Agency, user.agency_id) if user.agency_id else None
        return user_dict(user, agency.name if agency else None)


async def edit_user(request: web.Request) -> web.Response:
    """``POST /console/api/users/{id}`` with any of ``full_name``, ``role``, ``agency_id``,
    ``active``, ``email`` (``""`` or null removes it), ``email_notices``: one ``edit_user``
    audit row naming the changed fields."""
    body = await json_body(request)
    if not any(k in body for k in EDITABLE):
        raise WorkflowError(
            "Không có thay đổi nào: gửi full_name, role, agency_id, active, email hoặc email_notices", 400
        )
    return web.json_response({"ok": True, "user": await _edit(request, body, "edit_user")})


async def set_user_active(request: web.Request) -> web.Response:
    """Lock or unlock an account (an unlock also lifts a login lock-out)."""
    body = await json_body(request)
    active = bool(body.get("active"))
    action = "activate_user" if active else "deactivate_user"
    await _edit(request, {"active": active}, action, clear_lock=True)
    return web.json_response({"ok": True})


async def reset_password(request: web.Request) -> web.Response:
    """Admin sets a new password; every session of that account ends."""
    admin = require(request, Role.ADMIN)
    hub = hub_of(request)
    body = await json_body(request)
    now = hub.clock.now()
    try:
        async with hub.sm() as s, s.begin():
            user = await s.get(User, int(request.match_info["id"]))
            if user is None:
                raise WorkflowError("Không tìm thấy tài khoản", 404)
            await accounts.set_password(s, user, str_field(body, "password", max_len=1000), now)
            user.locked_until = None
            audit_action(s, request, admin, "reset_password", "user", user.id, now)
    except WeakPassword as err:
        raise WorkflowError(str(err), 400) from err
    return web.json_response({"ok": True})
