# ruff: noqa: F811
"""The personal-data breach register (issue 18, "Breaches"): through the running hub's console
on SQLite and PostgreSQL, with the hub's manual clock moved instead of waiting.

A supervisor records a breach; the 72-hour clock (the worker's one look,
:func:`bot.breach_worker.check_once`) tells supervisors and admins once at 48 hours
("còn 24 giờ") and once at 72 hours ("đã quá hạn 72 giờ"), nothing at 47 hours, and nothing
at all for a breach the authority was told of in time. The notification text holds the
record's facts. Operators and agency officers are refused; bad input gets a Vietnamese 400."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot import breach_worker
from bot.app import create_app
from bot.config import Settings
from bot.console.core import NOTICES_TOPIC
from bot.hub import HUB
from storage.clock import ManualClock
from storage.models_console import AuditLog, User

# the console fixtures, imported: their names are then the test functions' parameters
from tests.console.conftest import console_client, console_clock, people  # noqa: F401  (fixtures)

ENV = {
    "HUB_DEADLINE_CHECK_SECONDS": "3600",
    "HUB_BREACH_CHECK_SECONDS": "3600",  # the worker's own loop looks once at start, then sleeps
    "HUB_BREACH_CONTROLLER": "Trung tâm Tổng đài 1022 tỉnh Thử Nghiệm",
    "HUB_BREACH_CONTACT": "Trần Văn Bình, 0912 000 111, binh.tv@example.vn",
}
FACTS = {
    "summary": "Tệp xuất danh sách phiếu bị gửi nhầm tới địa chỉ e-mail bên ngoài",
    "discovered_at": "2027-03-02T09:00",  # the hotline's local time: 02:00 UTC, the clock's start
    "occurred_at": "2027-03-01T16:30",
    "data_categories": "Họ tên, số điện thoại, địa chỉ, nội dung phản ánh",
    "affected_count": 1250,
    "consequences": "Người nhận có thể liên hệ, làm phiền công dân",
    "measures": "Đề nghị người nhận xoá tệp; thu hồi quyền xuất dữ liệu của tài khoản",
}


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:
    return await create_app(replace(hub_settings, env=ENV), clock=console_clock)


async def _notices(people: Any, name: str) -> list[dict[str, Any]]:
    """``name``'s breach notices, newest first (signed in anew: the clock moved past sessions)."""
    who = await people(name)
    status, body = await who.get("/console/api/notifications")
    assert status == 200, body
    return [n for n in body["notifications"] if n["kind"].startswith("breach")]


async def _audited(app: web.Application, breach_id: int) -> list[tuple[str, str | None]]:
    """The audit log's (action, username) for the breach, oldest first."""
    async with app[HUB].sm() as s:
        rows = await s.execute(
            select(AuditLog.action, User.username)
            .outerjoin(User, User.id == AuditLog.user_id)
            .where(AuditLog.object_type == "breach", AuditLog.object_id == str(breach_id))
            .order_by(AuditLog.id)
        )
        return [(a, u) for a, u in rows.all()]


async def _record(sv: Any, **changes: Any) -> dict[str, Any]:
    status, body = await sv.post("/console/api/breaches", {**FACTS, **changes})
    assert status == 200, body
    return dict(body["breach"])


async def test_the_clock_tells_supervisors_and_admins_once_at_48_and_72_hours(
    people: Any, console_app: web.Application, console_clock: ManualClock
) -> None:
    hub = console_app[HUB]
    breach = await _record(await people("sv1"))
    assert breach["hours_left"] == 72.0 and breach["status"] == "open"

    console_clock.advance(hours=47, minutes=59)
    assert await breach_worker.check_once(hub) == 0
    assert await _notices(people, "sv1") == []

    console_clock.advance(minutes=1)  # 48 h after discovery
    sub = await hub.bus.subscribe(NOTICES_TOPIC)
    try:
        assert await breach_worker.check_once(hub) == 1
        event = await asyncio.wait_for(anext(aiter(sub)), 5)
    finally:
        await sub.close()
    assert event["role"] == "supervisor" and event["kind"] == "breach_48h"
    assert await breach_worker.check_once(hub) == 0  # a second look, or a second worker: nothing
    console_clock.advance(hours=1)
    assert await breach_worker.check_once(hub) == 0
    for who in ("sv1", "admin1"):
        notes = await _notices(people, who)
        assert [n["kind"] for n in notes] == ["breach_48h"]
        assert "còn 24 giờ" in notes[0]["text"] and f"số {breach['id']}" in notes[0]["text"]
    assert await _notices(people, "op1") == []

    status, body = await (await people("sv1")).get(f"/console/api/breaches/{breach['id']}")
    assert status == 200 and body["breach"]["hours_left"] == 23.0

    console_clock.advance(hours=22, minutes=59)  # 71:59
    assert await breach_worker.check_once(hub) == 0
    console_clock.advance(minutes=1)  # 72 h
    assert await breach_worker.check_once(hub) == 1
    assert await breach_worker.check_once(hub) == 0
    console_clock.advance(days=3)
    assert await breach_worker.check_once(hub) == 0
    for who in ("sv1", "admin1"):
        kinds = [n["kind"] for n in await _notices(people, who)]
        assert kinds == ["breach_overdue", "breach_48h"]  # newest first
    overdue = (await _notices(people, "admin1"))[0]["text"]
    assert "đã quá hạn 72 giờ" in overdue


async def test_a_breach_notified_in_time_gets_no_notice_and_its_text_holds_the_facts(
    people: Any, console_app: web.Application, console_clock: ManualClock
) -> None:
    hub = console_app[HUB]
    sv = await people("sv1")
    breach = await _record(sv)
    text = breach["notification_text"]
    for fact in (FACTS["summary"], FACTS["data_categories"], FACTS["consequences"], FACTS["measures"]):
        assert fact in text
    assert "1.250 người" in text
    assert "09:00 ngày 02/03/2027" in text  # discovered, local time
    assert "16:30 ngày 01/03/2027" in text  # occurred
    assert "09:00 ngày 05/03/2027" in text  # the 72-hour limit
    assert ENV["HUB_BREACH_CONTACT"] in text and ENV["HUB_BREACH_CONTROLLER"] in text
    assert "Căn cứ Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Nghị định số 356/2025/NĐ-CP" in text
    assert "Lý do chậm" not in text

    console_clock.advance(hours=30)
    sv = await people("sv1")
    status, body = await sv.post(
        f"/console/api/breaches/{breach['id']}/notified",
        {"notified_at": "2027-03-03T14:00", "reference": "CV 12/TĐ-BVDL"},
    )
    assert status == 200, body
    assert body["breach"]["status"] == "notified" and body["breach"]["hours_left"] is None
    assert body["breach"]["notified_ref"] == "CV 12/TĐ-BVDL"
    for hours in (18, 24, 48):  # past 48 h, past 72 h, long after
        console_clock.advance(hours=hours)
        assert await breach_worker.check_once(hub) == 0
    assert await _notices(people, "sv1") == []

    sv = await people("sv1")
    status, body = await sv.post(f"/console/api/breaches/{breach['id']}/close", {"note": "Đã xử lý xong"})
    assert status == 200 and body["breach"]["status"] == "closed"
    status, body = await sv.post(f"/console/api/breaches/{breach['id']}", {"measures": "Sửa sau khi đóng"})
    assert status == 409 and "đã đóng" in body["error"]
    assert await _audited(console_app, breach["id"]) == [
        ("breach_record", "sv1"),
        ("breach_notified", "sv1"),
        ("breach_close", "sv1"),
    ]


async def test_a_late_notification_says_so_and_the_register_lists_and_corrects(
    people: Any, console_app: web.Application, console_clock: ManualClock
) -> None:
    admin = await people("admin1")
    breach = await _record(admin, occurred_at="")
    assert "Thời điểm xảy ra: chưa xác định" in breach["notification_text"]
    console_clock.advance(hours=80)
    admin = await people("admin1")
    status, body = await admin.post(
        f"/console/api/breaches/{breach['id']}", {"affected_count": "3000", "measures": "Đổi mật khẩu"}
    )
    assert status == 200, body
    got = body["breach"]
    assert got["affected_count"] == 3000 and got["hours_left"] == -8.0
    assert "3.000 người" in got["notification_text"] and "Lý do chậm" in got["notification_text"]
    status, body = await admin.get("/console/api/breaches")
    assert status == 200 and [b["id"] for b in body["breaches"]] == [breach["id"]]
    assert body["breaches"][0]["measures"] == "Đổi mật khẩu"


async def test_operators_and_agencies_are_refused_and_bad_input_is_explained(
    people: Any, console_app: web.Application, console_clock: ManualClock
) -> None:
    for name in ("op1", "yte1"):
        who = await people(name)
        assert (await who.get("/console/api/breaches"))[0] == 403
        status, body = await who.post("/console/api/breaches", FACTS)
        assert status == 403, body
    sv = await people("sv1")
    later = (console_clock.now() + timedelta(days=1)).isoformat()
    bad = [
        ({"summary": "  "}, "Vui lòng nhập «Mô tả sự việc»"),
        ({"discovered_at": "hôm qua"}, "«Thời điểm phát hiện» không hợp lệ"),
        ({"discovered_at": later}, "«Thời điểm phát hiện» không được ở tương lai"),
        (
            {"discovered_at": "2027-03-02T08:00", "occurred_at": "2027-03-02T08:30"},
            "«Thời điểm xảy ra» không được sau «Thời điểm phát hiện»",
        ),
        ({"affected_count": "nhiều"}, "«Số người bị ảnh hưởng (ước tính)» phải là một số nguyên"),
        ({"affected_count": -1}, "«Số người bị ảnh hưởng (ước tính)» phải từ 0"),
    ]
    for change, message in bad:
        status, body = await sv.post("/console/api/breaches", {**FACTS, **change})
        assert status == 400 and message in body["error"], (change, body)
    assert (await sv.get("/console/api/breaches"))[1]["breaches"] == []  # nothing half-stored
    breach = await _record(sv)
    for change, message in [
        ({"notified_at": "2027-03-01T08:00", "reference": "CV 1"}, "không được trước «Thời điểm phát hiện»"),
        ({"notified_at": "2027-03-02T09:03", "reference": " "}, "Vui lòng nhập «Số hiệu"),
    ]:
        status, body = await sv.post(f"/console/api/breaches/{breach['id']}/notified", change)
        assert status == 400 and message in body["error"], (change, body)
    status, body = await sv.post(f"/console/api/breaches/{breach['id']}/close", {})
    assert status == 400 and "Kết quả xử lý" in body["error"]
    assert (await sv.get("/console/api/breaches/999999"))[0] == 404
