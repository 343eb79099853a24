"""Deadlines through the running hub with a moved clock: the periodic check over stored
tickets marks overdue tickets, tells the supervisor, flags Điều 10.3 breaches — and a
new app on the same database (a restart) keeps every deadline."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import HUB, create_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.console.live import run_deadline_check
from tests.conftest import wait_for, webchat_session
from tests.console.conftest import agency_id_of

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN).astimezone(UTC)


async def _forwarded_ticket(people: Any, console_app: Any, code: str = "so-yte") -> int:
    op = await people("op1")
    citizen = await people()
    sess = await webchat_session(citizen.http, citizen.base)
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": "Hỏi"},
        headers={"Authorization": f"Bearer {sess['session_token']}"},
    ) as r:
        assert r.status == 200
    conv = sess["conversation_id"]

    async def waiting() -> bool:
        _, q = await op.get("/console/api/queue")
        return conv in [c["id"] for c in q["waiting"]]

    await wait_for(waiting)
    status, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": "Cần kiểm tra"})
    assert status == 200, body
    tid = int(body["ticket"]["id"])
    status, body = await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": await agency_id_of(console_app, code)}
    )
    assert status == 200, body
    return tid


async def test_friday_forward_overdue_monday_after_restart(
    people: Any, console_app: Any, console_clock: ManualClock, hub_settings: Settings, aiohttp_client: Any
) -> None:
    console_clock.set(vn(2027, 3, 5, 15, 0))  # Friday 15:00
    tid = await _forwarded_ticket(people, console_app)
    yte = await people("yte1")
    _, t = await yte.get(f"/console/api/tickets/{tid}")
    assert datetime.fromisoformat(t["due_at"]) == vn(2027, 3, 8, 15, 0)  # Monday 15:00
    assert t["deadline"] == "on_time"

    # "restart": a new app (new engine, no memory) on the same database, clock moved on
    clock2 = ManualClock(vn(2027, 3, 8, 14, 0))
    app2 = await create_app(replace(hub_settings, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"}), clock=clock2)
    client2 = await aiohttp_client(app2)
    assert await run_deadline_check(app2[HUB], app2) == 0
    base2 = str(client2.make_url("")).rstrip("/")
    import aiohttp

    from tests.console.conftest import Browserless  # same helper, second server

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        officer = Browserless(http, base2)
        assert (await officer.login("yte1"))[0] == 200
        _, t = await officer.get(f"/console/api/tickets/{tid}")
        assert datetime.fromisoformat(t["due_at"]) == vn(2027, 3, 8, 15, 0)
        assert t["deadline"] == "approaching"  # one working hour left
        clock2.set(vn(2027, 3, 8, 15, 1))
        assert await run_deadline_check(app2[HUB], app2) == 3  # supervisor ×2 (overdue, breach), agency ×1
        assert await run_deadline_check(app2[HUB], app2) == 0  # told once
        _, t = await officer.get(f"/console/api/tickets/{tid}")
        assert t["deadline"] == "overdue" and t["breach"] is True
        _, inbox = await officer.get("/console/api/tickets?status=open")
        assert [x["deadline"] for x in inbox["tickets"]] == ["overdue"]
        _, notes = await officer.get("/console/api/notifications")
        assert [n["kind"] for n in notes["notifications"]] == ["overdue", "forwarded"]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http2:
            sv = Browserless(http2, base2)
            assert (await sv.login("sv1"))[0] == 200
            _, notes = await sv.get("/console/api/notifications")
            kinds = sorted(n["kind"] for n in notes["notifications"])
            assert kinds == ["breach", "overdue"]
            assert any("vi phạm Điều 10.3" in n["text"] for n in notes["notifications"])


async def test_tet_and_saturday_holiday_through_the_console(
    people: Any, console_app: Any, console_clock: ManualClock
) -> None:
    console_clock.set(vn(2027, 2, 4, 15, 0))  # Thursday before Tết Đinh Mùi
    tid = await _forwarded_ticket(people, console_app)
    console_clock.set(vn(2027, 4, 29, 15, 0))  # before 30/4 and 1/5 (a Saturday, off Monday 3/5)
    tid2 = await _forwarded_ticket(people, console_app, "so-gtvt")
    sv = await people("sv1")
    _, t = await sv.get(f"/console/api/tickets/{tid}")
    assert datetime.fromisoformat(t["due_at"]) == vn(2027, 2, 12, 15, 0)
    _, t2 = await sv.get(f"/console/api/tickets/{tid2}")
    assert datetime.fromisoformat(t2["due_at"]) == vn(2027, 5, 4, 15, 0)
