"""Admins edit accounts (name, role, agency, active) through POST /console/api/users/{id}:
the rules of bot.auth.accounts (an agency officer has an agency, nobody else does; the last
active admin stays), sessions ended on a role change, one audit row, admins only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.auth.accounts import AGENCY_REQUIRED, LAST_ADMIN
from bot.hub import HUB
from storage.models_console import AuditLog, User
from tests.console.conftest import agency_id_of


async def _user_id(app: Any, username: str) -> int:
    async with app[HUB].sm() as s:
        return int((await s.execute(select(User.id).where(User.username == username))).scalar_one())


async def _listed(admin: Any, username: str) -> dict[str, Any]:
    status, body = await admin.get("/console/api/users")
    assert status == 200
    (row,) = [u for u in body["users"] if u["username"] == username]
    return dict(row)


async def _audits(app: Any, action: str) -> list[AuditLog]:
    async with app[HUB].sm() as s:
        return list((await s.execute(select(AuditLog).where(AuditLog.action == action))).scalars())


async def test_admin_moves_an_officer_to_operator_and_back_with_an_agency(
    people: Any, console_app: Any
) -> None:
    admin = await people("admin1")
    yte = await people("yte1")
    yte_id = await _user_id(console_app, "yte1")
    before = await _listed(admin, "yte1")
    assert before["agency_name"] == "Sở Y tế" and before["role"] == "agency"

    # an operator has no agency, even if the form still sends one
    so_yte = await agency_id_of(console_app, "so-yte")
    status, body = await admin.post(
        f"/console/api/users/{yte_id}", {"role": "operator", "agency_id": so_yte, "full_name": " Lê Thị Y "}
    )
    assert status == 200, body
    assert body["user"]["role"] == "operator" and body["user"]["agency_id"] is None
    assert body["user"]["agency_name"] is None and body["user"]["full_name"] == "Lê Thị Y"
    # the role changed: that person's session is over
    assert (await yte.get("/console/api/me"))[0] == 401
    (row,) = await _audits(console_app, "edit_user")
    assert row.object_id in (yte_id, str(yte_id))
    assert set(row.detail["changed"]) == {"role", "agency_id", "full_name"}
    assert row.detail["changed"]["role"] == {"from": "agency", "to": "operator"}

    # back to agency officer: an agency must be chosen; the message names no CLI flag
    status, body = await admin.post(f"/console/api/users/{yte_id}", {"role": "agency"})
    assert status == 400 and body["error"] == AGENCY_REQUIRED and "--" not in body["error"]
    gtvt = await agency_id_of(console_app, "so-gtvt")
    status, body = await admin.post(f"/console/api/users/{yte_id}", {"role": "agency", "agency_id": gtvt})
    assert status == 200, body
    assert (await _listed(admin, "yte1"))["agency_name"] == "Sở Giao thông vận tải"
    status, body = await admin.post(f"/console/api/users/{yte_id}", {"agency_id": 987654})
    assert status == 400 and "đơn vị" in body["error"]


async def test_a_name_change_keeps_the_session_and_a_deactivation_ends_it(
    people: Any, console_app: Any
) -> None:
    admin = await people("admin1")
    op = await people("op1")
    op_id = await _user_id(console_app, "op1")
    assert (await admin.post(f"/console/api/users/{op_id}", {"full_name": "Trần Văn Một"}))[0] == 200
    status, me = await op.get("/console/api/me")
    assert status == 200 and "Trần Văn Một" in str(me)
    assert (await admin.post(f"/console/api/users/{op_id}", {"active": False}))[0] == 200
    assert (await op.get("/console/api/me"))[0] == 401
    assert (await _listed(admin, "op1"))["active"] is False
    # nothing to change, a wrong type, an unknown role, an unknown account
    assert (await admin.post(f"/console/api/users/{op_id}", {}))[0] == 400
    assert (await admin.post(f"/console/api/users/{op_id}", {"active": "no"}))[0] == 400
    assert (await admin.post(f"/console/api/users/{op_id}", {"role": "root"}))[0] == 400
    assert (await admin.post("/console/api/users/999999", {"full_name": "X"}))[0] == 404


async def test_the_last_active_admin_cannot_demote_or_lock_themself(people: Any, console_app: Any) -> None:
    admin = await people("admin1")
    me = await _user_id(console_app, "admin1")
    for change in ({"role": "supervisor"}, {"active": False}):
        status, body = await admin.post(f"/console/api/users/{me}", change)
        assert status == 400 and body["error"] == LAST_ADMIN
    status, body = await admin.post(f"/console/api/users/{me}/active", {"active": False})
    assert status == 400 and body["error"] == LAST_ADMIN
    assert (await _listed(admin, "admin1"))["role"] == "admin"

    # with a second admin, the first may step down (and is logged out by it)
    sv_id = await _user_id(console_app, "sv1")
    assert (await admin.post(f"/console/api/users/{sv_id}", {"role": "admin"}))[0] == 200
    assert (await admin.post(f"/console/api/users/{me}", {"role": "supervisor"}))[0] == 200
    assert (await admin.get("/console/api/me"))[0] == 401
    sv = await people("sv1")
    status, body = await sv.post(f"/console/api/users/{sv_id}", {"active": False})
    assert status == 400 and body["error"] == LAST_ADMIN


async def test_only_admins_edit_and_every_edit_needs_the_csrf_token(people: Any, console_app: Any) -> None:
    op_id = await _user_id(console_app, "op2")
    for name in ("op1", "sv1", "yte1"):
        who = await people(name)
        assert (await who.post(f"/console/api/users/{op_id}", {"role": "admin"}))[0] == 403
        assert (await who.get("/console/api/users"))[0] == 403
    admin = await people("admin1")
    status, _ = await admin.post(f"/console/api/users/{op_id}", {"role": "admin"}, csrf="")
    assert status == 403
    assert (await _listed(admin, "op2"))["role"] == "operator"


async def test_a_name_that_looks_like_markup_is_stored_and_returned_as_text(
    people: Any, console_app: Any
) -> None:
    admin = await people("admin1")
    op_id = await _user_id(console_app, "op2")
    name = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    status, body = await admin.post(f"/console/api/users/{op_id}", {"full_name": name})
    assert status == 200 and body["user"]["full_name"] == name
    assert (await _listed(admin, "op2"))["full_name"] == name
    async with console_app[HUB].sm() as s:
        stored = await s.get(User, op_id)
        assert stored is not None and stored.full_name == name
