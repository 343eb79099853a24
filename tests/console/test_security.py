"""Protections that must hold: each test fails when its protection is removed."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

import aiohttp
from sqlalchemy import text

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from storage.clock import ManualClock
from tests.conftest import wait_for, webchat_session
from tests.console.conftest import PASSWORD, agency_id_of


async def _citizen_waiting(people: Any, op: Any, words: str = "Cho tôi gặp cán bộ") -> int:
    citizen = await people()
    sess = await webchat_session(citizen.http, citizen.base)
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": words},
        headers={"Authorization": f"Bearer {sess['session_token']}"},
    ) as r:
        assert r.status == 200

    async def waiting() -> Any:
        _, q = await op.get("/console/api/queue")
        return [c["id"] for c in q["waiting"] if c["id"] == sess["conversation_id"]]

    return int((await wait_for(waiting))[0])


async def test_csrf_token_required_on_every_state_change(people: Any) -> None:
    op = await people("op1")
    conv = await _citizen_waiting(people, op)
    assert (await op.post(f"/console/api/conversations/{conv}/take", csrf=""))[0] == 403
    assert (await op.post(f"/console/api/conversations/{conv}/take", csrf="forged-token"))[0] == 403
    _, q = await op.get("/console/api/queue")
    assert conv in [c["id"] for c in q["waiting"]]  # nothing happened
    assert (await op.post(f"/console/api/conversations/{conv}/take"))[0] == 200
    # another user's token does not work either (tokens are bound to the session)
    op2 = await people("op2")
    status, _ = await op.post(f"/console/api/conversations/{conv}/note", {"text": "x"}, csrf=op2.csrf)
    assert status == 403
    # login itself needs the pre-login session's token
    anon = await people()
    status, _ = await anon.post("/console/api/login", {"username": "op1", "password": PASSWORD})
    assert status == 403


async def test_cross_origin_state_change_refused(people: Any) -> None:
    op = await people("op1")
    status, body = await op.post("/console/api/logout", headers={"Origin": "http://evil.example"})
    assert status == 403, body
    assert (await op.get("/console/api/me"))[0] == 200  # still logged in


async def test_session_id_rotated_at_login(people: Any) -> None:
    victim = await people()
    await victim.get("/console/api/csrf")
    planted = victim.cookie()  # an attacker who planted/knows this pre-login id…
    assert planted
    status, _ = await victim.login("op1")
    assert status == 200
    assert victim.cookie() and victim.cookie() != planted
    attacker = await people()
    attacker.http.cookie_jar.update_cookies(
        {"hub_console": planted}, response_url=aiohttp.client.URL(attacker.base)
    )
    assert (await attacker.get("/console/api/me"))[0] == 401  # …gets nothing
    assert (await victim.get("/console/api/me"))[0] == 200


async def test_cookie_flags(console_client: Any, hub_settings: Settings, aiohttp_client: Any) -> None:
    r = await console_client.get("/console/login")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    app = await create_app(replace(hub_settings, secure_cookies=True), clock=ManualClock())
    client = await aiohttp_client(app)
    r = await client.get("/console/login")
    assert "Secure" in r.headers["Set-Cookie"]


async def test_lock_out_after_repeated_failures(people: Any, console_clock: ManualClock) -> None:
    who = await people()
    for _ in range(5):
        status, _ = await who.login("op1", "sai-mat-khau-roi")
        assert status in (401, 429)
    status, body = await who.login("op1")  # right password, but locked
    assert status == 429, body
    console_clock.advance(minutes=16)
    status, _ = await who.login("op1")
    assert status == 200
    assert (await who.login("nobody-here", "whatever-password"))[0] == 401


async def test_logout_ends_the_session(people: Any) -> None:
    op = await people("op1")
    old = op.cookie()
    assert (await op.post("/console/api/logout"))[0] == 200
    assert (await op.get("/console/api/me"))[0] == 401
    other = await people()
    other.http.cookie_jar.update_cookies({"hub_console": old}, response_url=aiohttp.client.URL(other.base))
    assert (await other.get("/console/api/me"))[0] == 401


async def test_role_scoping(people: Any, console_app: Any) -> None:
    op = await people("op1")
    conv = await _citizen_waiting(people, op)
    assert (await op.post(f"/console/api/conversations/{conv}/take"))[0] == 200
    status, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": "Cần hỏi"})
    assert status == 200, body
    tid = body["ticket"]["id"]
    yte = await agency_id_of(console_app, "so-yte")
    assert (await op.post(f"/console/api/tickets/{tid}/forward", {"agency_id": yte}))[0] == 200
    gtvt = await people("gtvt1")
    assert (await gtvt.get(f"/console/api/tickets/{tid}"))[0] == 403
    assert (await gtvt.post(f"/console/api/tickets/{tid}/answer", {"text": "x"}))[0] == 403
    assert (
        await gtvt.post(
            f"/console/api/tickets/{tid}/progress",
            {"text": "x", "appointment_at": "2030-01-01T10:00:00+07:00"},
        )
    )[0] == 403
    assert (await gtvt.post(f"/console/api/tickets/{tid}/send_back", {"reason": "x"}))[0] == 403
    _, listed = await gtvt.get("/console/api/tickets")
    assert listed["tickets"] == []
    assert (await gtvt.get("/console/api/queue"))[0] == 403
    assert (await gtvt.get(f"/console/api/conversations/{conv}"))[0] == 403
    yte1 = await people("yte1")
    _, listed = await yte1.get("/console/api/tickets")
    assert [t["id"] for t in listed["tickets"]] == [tid]
    assert (await yte1.get(f"/console/api/tickets/{tid}"))[0] == 200
    # operators neither answer for the agency, nor administer, nor read the audit log
    assert (await op.post(f"/console/api/tickets/{tid}/answer", {"text": "x"}))[0] == 403
    assert (await op.get("/console/api/audit"))[0] == 403
    assert (await op.post("/console/api/users", {"username": "x1", "password": PASSWORD, "role": "admin"}))[
        0
    ] == 403
    sv = await people("sv1")
    assert (await sv.get("/console/api/audit"))[0] == 200
    assert (await sv.get(f"/console/api/tickets/{tid}"))[0] == 200


async def test_only_one_operator_takes_a_conversation(people: Any) -> None:
    op1, op2 = await people("op1"), await people("op2")
    conv = await _citizen_waiting(people, op1)
    results = await asyncio.gather(
        *(who.post(f"/console/api/conversations/{conv}/take") for who in (op1, op2))
    )
    assert sorted(s for s, _ in results) == [200, 409]
    loser = op2 if results[0][0] == 200 else op1
    status, _ = await loser.post(f"/console/api/conversations/{conv}/reply", {"text": "chen ngang"})
    assert status == 409


async def test_audit_log_records_who_what_where_and_cannot_be_changed(people: Any, console_app: Any) -> None:
    op = await people("op1")
    conv = await _citizen_waiting(people, op)
    await op.post(f"/console/api/conversations/{conv}/take")
    await op.post(f"/console/api/conversations/{conv}/reply", {"text": "Chào anh"})
    sv = await people("sv1")
    _, log = await sv.get("/console/api/audit?object_type=conversation")
    actions = {(e["username"], e["action"], e["object_id"], e["ip"]) for e in log["entries"]}
    assert ("op1", "take_over", str(conv), "127.0.0.1") in actions
    assert ("op1", "reply", str(conv), "127.0.0.1") in actions
    for method in ("PUT", "PATCH", "DELETE"):
        async with sv.http.request(
            method, sv.base + "/console/api/audit", headers={"X-CSRF-Token": sv.csrf}
        ) as r:
            assert r.status in (404, 405)
    hub = console_app[HUB]
    for sql in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
        try:
            async with hub.sm() as s, s.begin():
                await s.execute(text(sql))
        except Exception as err:
            assert "append-only" in str(err)
        else:
            raise AssertionError(f"{sql} was allowed")


async def test_expired_sessions_are_purged(people: Any, console_app: Any, console_clock: ManualClock) -> None:
    from bot.console.live import purge_expired

    op = await people("op1")
    anon = await people()
    await anon.get("/console/api/csrf")  # a signed pre-login token: no row at all (issue 10)
    console_clock.advance(hours=3)  # op1's session (12 h idle) did not expire
    assert await purge_expired(console_app[HUB]) == 0
    assert (await op.get("/console/api/me"))[0] == 200
    console_clock.advance(hours=13)
    assert await purge_expired(console_app[HUB]) == 1
    assert (await op.get("/console/api/me"))[0] == 401


async def test_password_change_and_admin_reset_end_other_sessions(people: Any, console_app: Any) -> None:
    op_a, op_b = await people("op1"), await people("op1")  # two browsers, same account
    status, body = await op_a.post(
        "/console/api/me/password", {"current": "sai", "password": "mat-khau-moi-12345"}
    )
    assert status == 403
    status, body = await op_a.post("/console/api/me/password", {"current": PASSWORD, "password": "ngan"})
    assert status == 400
    status, body = await op_a.post(
        "/console/api/me/password", {"current": PASSWORD, "password": "mat-khau-moi-12345"}
    )
    assert status == 200, body
    op_a.csrf = body["csrf"]
    assert (await op_a.get("/console/api/me"))[0] == 200  # this browser goes on, with a new session id
    assert (await op_b.get("/console/api/me"))[0] == 401  # the other one is logged out
    assert (await (await people()).login("op1"))[0] == 401  # the old password is gone
    admin = await people("admin1")
    _, users = await admin.get("/console/api/users")
    op1_id = next(u["id"] for u in users["users"] if u["username"] == "op1")
    assert (await op_a.post(f"/console/api/users/{op1_id}/password", {"password": "x" * 12}))[0] == 403
    assert (await admin.post(f"/console/api/users/{op1_id}/password", {"password": "dat-lai-boi-admin-1"}))[
        0
    ] == 200
    assert (await op_a.get("/console/api/me"))[0] == 401
    assert (await (await people()).login("op1", "dat-lai-boi-admin-1"))[0] == 200


async def test_password_spraying_from_one_address_is_refused(people: Any, console_app: Any) -> None:
    from bot.auth.accounts import MAX_IP_FAILURES

    who = await people()
    for i in range(MAX_IP_FAILURES):
        status, _ = await who.login(f"khong-co-{i}", "doan-mat-khau-1")
        assert status == 401
    status, body = await who.login("op2")  # right password, but this address is refused for now
    assert status == 429 and "địa chỉ" in body["error"]


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    hub_settings: Settings, aiohttp_client: Any
) -> None:
    from bot.console.core import client_ip

    seen: list[str | None] = []

    async def probe(request: Any) -> Any:
        from aiohttp import web

        seen.append(client_ip(request))
        return web.Response(text="ok")

    for trusted, expect in (("", "127.0.0.1"), ("127.0.0.1", "203.0.113.7")):
        app = await create_app(
            replace(hub_settings, env={"HUB_TRUSTED_PROXIES": trusted}), clock=ManualClock()
        )
        app.router.add_get("/probe", probe)
        client = await aiohttp_client(app)
        await client.get("/probe", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
        assert seen[-1] == expect
