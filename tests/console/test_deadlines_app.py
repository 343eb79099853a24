"""Deadlines through the running hub with a moved clock: the periodic check over stored
tickets marks overdue tickets, tells the supervisor, flags Điều 10.3 breaches — and a
new app on the same database (a restart) keeps every deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import create_app
from bot.config import Settings
from bot.console.live import run_deadline_check
from bot.hub import HUB
from storage.clock import ManualClock
from tests.console.conftest import agency_id_of, new_ticket

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN).astimezone(UTC)


async def _forwarded_ticket(people: Any, console_app: Any, code: str = "so-yte") -> int:
    op = await people("op1")
    tid, _ = await new_ticket(people, op)
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
    # one working hour left: the agency is warned once, by this pass or by the new app's own
    # first one (its worker scans at start); the notices below show it was once
    await run_deadline_check(app2[HUB], app2)
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
        assert [n["kind"] for n in notes["notifications"]] == ["overdue", "approaching", "forwarded"]
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


async def test_supervisor_report_counts_on_time_late_overdue_and_breaches(
    people: Any, console_app: Any, console_clock: ManualClock
) -> None:
    console_clock.set(vn(2027, 3, 2, 9, 0))  # Tuesday: due Wednesday 09:00
    on_time = await _forwarded_ticket(people, console_app)
    late = await _forwarded_ticket(people, console_app)
    overdue = await _forwarded_ticket(people, console_app, "so-gtvt")
    yte = await people("yte1")
    assert (await yte.post(f"/console/api/tickets/{on_time}/answer", {"text": "Trả lời ngay"}))[0] == 200
    console_clock.set(vn(2027, 3, 3, 10, 0))  # one working hour late
    # 2 open tickets × (overdue → supervisor, overdue → agency, breach → supervisor)
    assert await run_deadline_check(console_app[HUB], console_app) == 6
    yte = await people("yte1")  # a new day: log in again (12 h idle expiry)
    assert (await yte.post(f"/console/api/tickets/{late}/answer", {"text": "Trả lời muộn"}))[0] == 200
    sv = await people("sv1")
    status, rep = await sv.get("/console/api/report?from=2027-03-01&to=2027-03-31")
    assert status == 200, rep
    assert rep["total"] == 3 and rep["by_channel"] == {"webchat": 3}
    rows = {r["agency"]: r for r in rep["by_agency"]}
    assert rows["Sở Y tế"]["answered_on_time"] == 1 and rows["Sở Y tế"]["answered_late"] == 1
    assert rows["Sở Y tế"]["breaches"] == 1
    assert (
        rows["Sở Giao thông vận tải"]["overdue_now"] == 1 and rows["Sở Giao thông vận tải"]["breaches"] == 1
    )
    _, empty = await sv.get("/console/api/report?from=2027-04-01")
    assert empty["total"] == 0
    assert (await yte.get("/console/api/report"))[0] == 403
    assert overdue
