"""The signed-in user's own notice settings: the e-mail address the agency notices go to and
whether they are wanted (``GET``/``POST /console/api/me/notices``). Admins set anyone's
address through ``POST /console/api/users/{id}`` (:mod:`bot.console.users_api`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.auth import accounts
from bot.console.core import audit_action, current_user, hub_of, json_body
from handoff.workflow import WorkflowError
from storage.models_console import User


def notices_dict(user: User) -> dict[str, Any]:
    return {"email": user.email, "email_notices": bool(user.email_notices)}


def email_notices_field(body: dict[str, Any]) -> bool | None:
    value = body.get("email_notices")
    if value is None:
        return None
    if not isinstance(value, bool):
        raise WorkflowError("Trường email_notices phải là true hoặc false", 400)
    return value


def email_field(body: dict[str, Any]) -> str | None:
    """The ``email`` of ``body`` as given ("" clears the address); 400 when not text."""
    value = body.get("email")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise WorkflowError("Địa chỉ e-mail phải là chuỗi ký tự", 400)
    return value


async def my_notices(request: web.Request) -> web.Response:
    user = current_user(request)
    return web.json_response(notices_dict(user))


async def save_my_notices(request: web.Request) -> web.Response:
    """``{email, email_notices}`` (either may be left out); one ``edit_user`` audit row."""
    user = current_user(request)
    hub = hub_of(request)
    body = await json_body(request)
    if "email" not in body and "email_notices" not in body:
        raise WorkflowError("Không có thay đổi nào: gửi email hoặc email_notices", 400)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        row = await s.get(User, user.id, with_for_update=True)
        assert row is not None
        try:
            changed = await accounts.update_user(
                s,
                row,
                now,
                email=email_field(body) if "email" in body else None,
                email_notices=email_notices_field(body),
            )
        except accounts.AccountError as err:
            raise WorkflowError(str(err), 400) from err
        if changed:
            audit_action(s, request, row, "edit_user", "user", row.id, now, detail={"changed": changed})
        return web.json_response({"ok": True, **notices_dict(row)})
