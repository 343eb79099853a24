"""The console under hostile input (issue 10): no 500 on NUL, lone surrogates, deep JSON or
huge ids; the same security headers on every page; pre-login CSRF tokens without session
rows; an atomic lock-out; exports that never carry a spreadsheet formula. SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import aiohttp
import argon2
import pytest
from sqlalchemy import func, select

from bot.auth.accounts import MAX_FAILURES
from bot.auth.passwords import hash_password
from bot.hub import HUB
from storage.clock import ManualClock
from storage.models import Message
from storage.models_console import LoginAttempt, User, UserSession
from storage.session import create_engine, make_sessionmaker
from tests.conftest import webchat_session, write_credentials
from tests.console.conftest import PASSWORD

WRONG = "doan-sai-mat-khau"


async def _conversation(people: Any) -> int:
    citizen = await people()
    return int((await webchat_session(citizen.http, citizen.base))["conversation_id"])


async def _raw_post(who: Any, path: str, raw: str) -> tuple[int, Any]:
    headers = {"X-CSRF-Token": who.csrf, "Content-Type": "application/json"}
    async with who.http.post(who.base + path, data=raw.encode(), headers=headers) as r:
        return r.status, await r.json()


async def test_nul_and_lone_surrogates_in_login_are_a_plain_refusal(people: Any) -> None:
    for username, password in (("op1\u0000", "x\u0000y"), ("\ud800op1", "\udfff"), ("op1", "\u0000")):
        who = await people()
        status, body = await who.login(username, password)
        assert status == 401, (username, body)
        assert "không đúng" in body["error"]
    # control characters are removed from every string, credentials included
    assert (await (await people()).login("op\u00001", PASSWORD + "\u0007"))[0] == 200


async def test_note_with_nul_and_lone_surrogate_is_stored_cleaned(people: Any, console_app: Any) -> None:
    op = await people("op1")
    conv = await _conversation(people)
    status, body = await _raw_post(
        op, f"/console/api/conversations/{conv}/note", '{"text": "ghi\\u0000 ch\\u00fa \\ud800 h\\u0007ai"}'
    )
    assert status == 200, body
    async with console_app[HUB].sm() as s:
        texts = (await s.execute(select(Message.text).where(Message.direction == "internal"))).scalars()
        assert "ghi chú \ufffd hai" in list(texts)


async def test_deeply_nested_json_is_a_clear_400(people: Any) -> None:
    op = await people("op1")
    conv = await _conversation(people)
    anon = await people()
    _, anon_body = await anon.get("/console/api/csrf")
    anon.csrf = anon_body["csrf"]
    for depth in (40, 5000):
        nested = "[" * depth + "]" * depth
        for who, path in ((anon, "/console/api/login"), (op, f"/console/api/conversations/{conv}/note")):
            status, body = await _raw_post(who, path, f'{{"text": "x", "username": "op1", "pad": {nested}}}')
            assert status == 400, (path, depth, body)
            assert "sâu" in body["error"]


async def test_control_characters_in_urls_and_huge_ids_are_not_server_errors(
    people: Any,
) -> None:
    sv = await people("sv1")
    for path in (
        "/console/api/contacts?q=ab%00cd",
        "/console/api/tickets?q=%00",
        "/console/api/audit?object_type=%00x",
        "/console/api/tickets/export.csv?from=%00",
    ):
        status, body = await sv.get(path)
        assert status == 400, (path, body)
    for path in (
        "/console/api/conversations/99999999999999999999",
        "/console/api/tickets/9223372036854775808",
    ):
        assert (await sv.get(path))[0] == 404, path
    status, body = await sv.post("/console/api/contacts/merge", {"source_id": 10**20, "target_id": 1})
    assert status == 400, body
    status, body = await sv.post("/console/api/contacts/merge", {"source_id": True, "target_id": 1})
    assert status == 400, body


async def test_every_console_page_has_the_security_headers(people: Any) -> None:
    anon = await people()
    op = await people("op1")
    for who, path in (
        (anon, "/console/faq"),
        (anon, "/console/login"),
        (op, "/console/"),
        (op, "/console/faq"),
        (op, "/console/api/me"),
        (anon, "/console/api/me"),  # 401
        (anon, "/console/no-such-page"),  # 404
    ):
        async with who.http.get(who.base + path, allow_redirects=False) as r:
            assert "frame-ancestors 'none'" in r.headers.get("Content-Security-Policy", ""), path
            assert r.headers.get("X-Frame-Options") == "DENY", path
            assert r.headers.get("X-Content-Type-Options") == "nosniff", path


async def _session_rows(app: Any) -> int:
    async with app[HUB].sm() as s:
        return int((await s.execute(select(func.count()).select_from(UserSession))).scalar_one())


async def test_anonymous_csrf_writes_no_session_row_and_expires(
    people: Any, console_app: Any, console_clock: ManualClock
) -> None:
    visitors = [await people() for _ in range(20)]
    for v in visitors:
        status, body = await v.get("/console/api/csrf")
        assert status == 200 and body["csrf"]
        assert v.cookie()
    assert await _session_rows(console_app) == 0
    # the token works for the login form, and only with its own cookie
    first, second = visitors[0], visitors[1]
    first.csrf = (await first.get("/console/api/csrf"))[1]["csrf"]
    second.csrf = first.csrf
    assert (await second.post("/console/api/login", {"username": "op1", "password": PASSWORD}))[0] == 403
    status, _ = await first.post("/console/api/login", {"username": "op1", "password": PASSWORD})
    assert status == 200
    assert await _session_rows(console_app) == 1
    # a pre-login token expires (2 h)
    late = visitors[2]
    late.csrf = (await late.get("/console/api/csrf"))[1]["csrf"]
    console_clock.advance(hours=3)
    assert (await late.post("/console/api/login", {"username": "op2", "password": PASSWORD}))[0] == 403
    assert (await late.login("op2"))[0] == 200  # a fresh token works


async def test_lock_out_holds_under_a_burst_of_simultaneous_guesses(
    people: Any, console_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 simultaneous wrong guesses and 3 right ones: at most MAX_FAILURES wrong passwords
    are checked, and no right one is even checked once the account is locked."""
    checked: list[str] = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self: argon2.PasswordHasher, stored: Any, password: Any) -> Any:
        checked.append("right" if password == PASSWORD else "wrong")  # the vendor's work, counted
        return real_verify(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    who = await people()
    status, body = await who.get("/console/api/csrf")
    assert status == 200
    headers = {"X-CSRF-Token": body["csrf"], "Cookie": f"hub_console={who.cookie()}"}
    guesses = [WRONG] * 40
    for i in (10, 20, 30):
        guesses.insert(i, PASSWORD)

    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:

        async def attempt(password: str) -> int:
            data = json.dumps({"username": "op1", "password": password})
            async with http.post(who.base + "/console/api/login", data=data, headers=headers) as r:
                return r.status

        statuses = await asyncio.gather(*(attempt(p) for p in guesses))

    assert checked.count("wrong") <= MAX_FAILURES, checked
    wrong_at = [i for i, c in enumerate(checked) if c == "wrong"]
    if len(wrong_at) == MAX_FAILURES:  # locked by the last of them: nothing checked after it
        assert checked[wrong_at[-1] + 1 :] == [], checked
    assert statuses.count(200) == checked.count("right")
    hub = console_app[HUB]
    async with hub.sm() as s:
        user = (await s.execute(select(User).where(User.username == "op1"))).scalar_one()
        assert user.locked_until is not None  # not cleared by a success inside the burst
        attempts = await s.execute(select(func.count()).where(LoginAttempt.username == "op1"))
        assert attempts.scalar_one() == len(guesses)  # every attempt is recorded
    status, body = await (await people()).login("op1")
    assert status == 429, body


async def test_export_neutralises_spreadsheet_formulas(people: Any) -> None:
    op = await people("op1")
    call = {
        "caller": "=cmd|' /C calc'!A0",
        "phone": "+84 900 000 001",
        "content": '=HYPERLINK("http://evil.example","bấm")',
        "answer": "@SUM(A1:A9)",
    }
    status, body = await op.post("/console/api/calls", call)
    assert status == 200, body
    sv = await people("sv1")
    async with sv.http.get(sv.base + "/console/api/tickets/export.csv") as r:
        assert r.status == 200
        rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    name, phone, content, answer = rows[1][1], rows[1][2], rows[1][5], rows[1][10]
    assert name == "'=cmd|' /C calc'!A0"
    assert phone == "'+84 900 000 001"
    assert content == '\'=HYPERLINK("http://evil.example","bấm")'
    assert answer == "'@SUM(A1:A9)"
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


def test_every_formula_start_is_neutralised() -> None:
    from bot.console.exports import safe_cell

    for dangerous in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert safe_cell(dangerous) == "'" + dangerous
    for harmless in ("Lê Văn A", "0900000001", "", "a=b", " =1"):
        assert safe_cell(harmless) == harmless
    assert safe_cell(None) == ""


async def test_lock_out_holds_across_two_hub_processes(
    database_url: str, tmp_path: Any, hub_process: Any
) -> None:
    """Two hub processes on one database, guesses spread over both: still at most
    MAX_FAILURES wrong passwords checked (a checked wrong one is a 401 until the last,
    which locks), and the pre-login token of one process is good on the other."""

    env = {
        "HUB_DATABASE_URL": database_url,
        "HUB_CREDENTIALS_FILE": str(write_credentials(tmp_path / "c.yml")),
    }
    first = hub_process(env).start()
    second = hub_process(env).start()
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as s, s.begin():
            now = datetime.now(UTC)
            s.add(
                User(
                    username="op9",
                    full_name="Cán bộ op9",
                    password_hash=hash_password(PASSWORD),
                    role="operator",
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            async with http.get(first.url + "/console/api/csrf") as r:
                csrf, cookie = (await r.json())["csrf"], r.cookies["hub_console"].value
            headers = {
                "X-CSRF-Token": csrf,
                "Cookie": f"hub_console={cookie}",
                "Content-Type": "application/json",
            }

            async def attempt(base: str, password: str) -> int:
                data = json.dumps({"username": "op9", "password": password})
                async with http.post(base + "/console/api/login", data=data, headers=headers) as r:
                    return r.status

            bases = [first.url, second.url] * 12
            statuses = await asyncio.gather(*(attempt(b, WRONG) for b in bases))
            assert statuses.count(401) <= MAX_FAILURES - 1, statuses
            assert set(statuses) <= {401, 429}
            for base in (first.url, second.url):
                assert await attempt(base, PASSWORD) == 429
        async with make_sessionmaker(engine)() as s:
            user = (await s.execute(select(User).where(User.username == "op9"))).scalar_one()
            assert user.locked_until is not None
    finally:
        await engine.dispose()


async def test_values_beyond_a_column_or_a_calendar_are_a_400(people: Any) -> None:
    """Found by probing every console form: over-long contact fields, a foreign key that
    does not exist, and year-1 dates were 500s."""
    op, sv, admin = await people("op1"), await people("sv1"), await people("admin1")
    for call in (
        {"phone": "0900", "caller": "c" * 201, "content": "x"},
        {"phone": "1" * 33, "content": "x"},
    ):
        status, body = await op.post("/console/api/calls", call)
        assert status == 400, body
    status, body = await op.post("/console/api/calls", {"phone": "0900", "line": "l" * 100, "content": "x"})
    assert status == 200, body
    conv = await _conversation(people)
    assert (await op.post(f"/console/api/conversations/{conv}/take"))[0] == 200
    tickets = f"/console/api/conversations/{conv}/tickets"
    status, body = await op.post(tickets, {"content": "c", "phone": "9" * 40})
    assert status == 400, body
    status, body = await op.post(tickets, {"content": "c"})
    assert status == 200, body
    tid = body["ticket"]["id"]
    status, body = await sv.post(
        f"/console/api/tickets/{tid}/progress", {"text": "t", "appointment_at": "0001-01-01T00:00:00"}
    )
    assert status == 400, body
    for query in ("/console/api/report?from=0001-01-01", "/console/api/tickets/export.csv?to=9999-12-31"):
        status, body = await sv.get(query)
        assert status == 400, (query, body)
    status, body = await admin.post(
        "/console/api/domains", {"name": "Lĩnh vực mới", "code": "moi", "agency_id": 10**15}
    )
    assert status == 400, body
