"""The ticket workflow over stored data, with a moved clock: deadlines in working hours
across nights, weekends, Tết and a holiday on a Saturday; overdue and Điều 10.3 breach
found by the periodic check, also after a restart (a new engine on the same database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handoff import workflow as wf
from handoff.calendar import WorkingCalendar, load_calendar_text
from storage.models import Conversation, Message, OutboxItem, Ticket
from storage.models_console import Notification, Role, TicketEvent, TicketTrack
from storage.session import SessionMaker
from tests.console.dbutil import agency_id, make_conversation, migrated
from tests.handoff.calendars import MON_FRI

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OPERATOR = wf.Actor(user_id=None, role=Role.OPERATOR, username="op")
SUPERVISOR = wf.Actor(user_id=None, role=Role.SUPERVISOR, username="sv")


@pytest.fixture
def cal() -> WorkingCalendar:
    return load_calendar_text(MON_FRI, "test")


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


async def _new_ticket(sm: SessionMaker, now: datetime) -> int:
    conv_id = await make_conversation(sm, now)
    async with sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        out = await wf.open_ticket(s, conv, OPERATOR, now, content="Xin hỏi về chính sách hỗ trợ")
        return out.ticket.id


async def _citizen_texts(sm: SessionMaker, ticket_id: int) -> list[str]:
    async with sm() as s:
        t = await s.get(Ticket, ticket_id)
        assert t is not None
        rows = await s.execute(
            select(Message.text)
            .join(OutboxItem, OutboxItem.message_id == Message.id)
            .where(Message.conversation_id == t.conversation_id)
            .order_by(Message.seq)
        )
        return list(rows.scalars())


async def _forward_at(
    sm: SessionMaker, cal: WorkingCalendar, when: datetime, code: str = "so-yte"
) -> tuple[int, int]:
    ticket_id = await _new_ticket(sm, when)
    ag = await agency_id(sm, code)
    async with sm() as s, s.begin():
        await wf.forward(s, ticket_id, OPERATOR, when, cal, ag, note="Đề nghị trả lời")
    return ticket_id, ag


async def _due(sm: SessionMaker, ticket_id: int) -> datetime:
    async with sm() as s:
        t = await s.get(Ticket, ticket_id)
        assert t is not None and t.due_at is not None
        d = t.due_at
        return (d if d.tzinfo else d.replace(tzinfo=UTC)).astimezone(VN)


@pytest.mark.parametrize(
    ("forwarded", "due"),
    [
        (vn(2027, 3, 2, 16, 0), vn(2027, 3, 3, 16, 0)),  # across the night
        (vn(2027, 3, 5, 15, 0), vn(2027, 3, 8, 15, 0)),  # Friday → across the weekend → Monday
        (vn(2027, 3, 6, 22, 0), vn(2027, 3, 8, 17, 0)),  # received on Saturday night: counts from Monday
        (vn(2027, 2, 4, 15, 0), vn(2027, 2, 12, 15, 0)),  # across Tết 2027 (5–9/2) and its days in lieu
        (vn(2027, 4, 29, 15, 0), vn(2027, 5, 4, 15, 0)),  # 30/4, 1/5 on a Saturday → off Monday 3/5
        (vn(2027, 3, 2, 7, 30), vn(2027, 3, 2, 17, 0)),  # exactly one working day
        (vn(2027, 3, 1, 13, 0), vn(2027, 3, 2, 11, 30)),  # last minute ends a period: due at 11:30
    ],
)
async def test_forward_deadline_in_working_hours(
    database_url: str, cal: WorkingCalendar, forwarded: datetime, due: datetime
) -> None:
    async with migrated(database_url, forwarded) as sm:
        ticket_id, _ = await _forward_at(sm, cal, forwarded)
        assert await _due(sm, ticket_id) == due
        texts = await _citizen_texts(sm, ticket_id)
        assert "mã phiếu 1022-2027-000001" in texts[0]
        assert "Sở Y tế" in texts[1] and f"{due:%H:%M} ngày {due:%d/%m/%Y}" in texts[1]


async def test_full_path_progress_answer_and_role_scoping(database_url: str, cal: WorkingCalendar) -> None:
    t0 = vn(2027, 3, 2, 9, 0)
    async with migrated(database_url, t0) as sm:
        ticket_id, ag = await _forward_at(sm, cal, t0)
        other = await agency_id(sm, "so-gtvt")
        officer = wf.Actor(user_id=None, role=Role.AGENCY, agency_id=ag)
        stranger = wf.Actor(user_id=None, role=Role.AGENCY, agency_id=other)
        async with sm() as s, s.begin():
            with pytest.raises(wf.PermissionDenied):
                await wf.load(s, ticket_id, stranger)
            with pytest.raises(wf.PermissionDenied):
                await wf.answer(s, ticket_id, stranger, t0, "không phải của tôi")
            with pytest.raises(wf.PermissionDenied):  # operators do not answer at the agency's place
                await wf.progress(s, ticket_id, OPERATOR, t0, "x", t0 + timedelta(days=1))
        appointment = vn(2027, 3, 5, 10, 0)
        async with sm() as s, s.begin():
            with pytest.raises(wf.WorkflowError):
                await wf.progress(s, ticket_id, officer, t0, "đang kiểm tra", t0 - timedelta(hours=1))
        async with sm() as s, s.begin():
            await wf.progress(
                s, ticket_id, officer, t0 + timedelta(hours=2), "Đang xác minh với phòng", appointment
            )
        assert await _due(sm, ticket_id) == appointment
        async with sm() as s, s.begin():
            await wf.answer(
                s, ticket_id, officer, t0 + timedelta(hours=5), "Anh/chị được hỗ trợ 1.000.000 đồng."
            )
        texts = await _citizen_texts(sm, ticket_id)
        assert "Đang xác minh với phòng" in texts[2] and "10:00 ngày 05/03/2027" in texts[2]
        assert "1.000.000 đồng" in texts[3]
        async with sm() as s:
            t = await s.get(Ticket, ticket_id)
            assert t is not None and t.status == "answered" and t.due_at is None
            hist = (
                (
                    await s.execute(
                        select(TicketEvent.to_status)
                        .where(TicketEvent.ticket_id == ticket_id)
                        .order_by(TicketEvent.id)
                    )
                )
                .scalars()
                .all()
            )
            assert hist == ["new", "forwarded", "in_progress", "answered"]


async def test_unclear_goes_to_supervisor_who_names_the_agency(
    database_url: str, cal: WorkingCalendar
) -> None:
    t0 = vn(2027, 3, 2, 9, 0)
    async with migrated(database_url, t0) as sm:
        ticket_id = await _new_ticket(sm, t0)
        ag = await agency_id(sm, "cong-an-tinh")
        async with sm() as s, s.begin():
            await wf.mark_unclear(s, ticket_id, OPERATOR, t0, "Không rõ thẩm quyền")
        async with sm() as s, s.begin():
            with pytest.raises(wf.WorkflowError):  # the operator waits for Sở TT&TT
                await wf.forward(s, ticket_id, OPERATOR, t0, cal, ag)
            with pytest.raises(wf.PermissionDenied):
                await wf.assign(s, ticket_id, OPERATOR, t0, cal, ag)
        t1 = vn(2027, 3, 2, 14, 0)
        async with sm() as s, s.begin():
            await wf.assign(s, ticket_id, SUPERVISOR, t1, cal, ag, "Công an tỉnh xử lý")
        assert await _due(sm, ticket_id) == vn(2027, 3, 3, 14, 0)
        texts = await _citizen_texts(sm, ticket_id)
        assert "Sở Thông tin và Truyền thông" in texts[1]
        assert "Công an tỉnh" in texts[2]
        officer = wf.Actor(user_id=None, role=Role.AGENCY, agency_id=ag)
        async with sm() as s, s.begin():
            await wf.send_back(s, ticket_id, officer, t1, "Không thuộc thẩm quyền")
        async with sm() as s:
            t = await s.get(Ticket, ticket_id)
            tr = await s.get(TicketTrack, ticket_id)
            assert t is not None and tr is not None
            assert t.status == "unclear" and tr.agency_id is None
            kinds = (
                await s.execute(select(Notification.kind).where(Notification.role == "supervisor"))
            ).scalars()
            assert sorted(kinds) == ["sent_back", "unclear"]


async def test_refuse_tells_the_citizen_why(database_url: str) -> None:
    t0 = vn(2027, 3, 2, 9, 0)
    async with migrated(database_url, t0) as sm:
        ticket_id = await _new_ticket(sm, t0)
        async with sm() as s, s.begin():
            with pytest.raises(wf.WorkflowError):
                await wf.refuse(s, ticket_id, OPERATOR, t0, "  ")
        async with sm() as s, s.begin():
            await wf.refuse(s, ticket_id, OPERATOR, t0, "Nội dung ngoài phạm vi Điều 5")
        texts = await _citizen_texts(sm, ticket_id)
        assert "Lý do: Nội dung ngoài phạm vi Điều 5" in texts[-1]


async def _check(url: str, now: datetime, cal: WorkingCalendar) -> list[tuple[str, str]]:
    from storage.session import create_engine, make_sessionmaker

    engine = create_engine(url)  # a fresh engine: what a restarted hub would do
    try:
        sm = make_sessionmaker(engine)
        async with sm() as s, s.begin():
            notes = await wf.check_deadlines(s, now.astimezone(UTC), cal)
            return [(n.role, n.kind) for n in notes]
    finally:
        await engine.dispose()


async def test_overdue_and_breach_survive_a_restart(database_url: str, cal: WorkingCalendar) -> None:
    friday = vn(2027, 3, 5, 15, 0)  # due Monday 15:00 (weekend in between)
    async with migrated(database_url, friday) as sm:
        ticket_id, ag = await _forward_at(sm, cal, friday)
    # "restart": nothing in memory; the deadline is in the database
    # one working minute left: the agency is warned that the deadline approaches
    assert await _check(database_url, vn(2027, 3, 8, 14, 59), cal) == [("agency", "approaching")]
    notes = await _check(database_url, vn(2027, 3, 8, 15, 1), cal)
    assert sorted(notes) == [("agency", "overdue"), ("supervisor", "breach"), ("supervisor", "overdue")]
    assert await _check(database_url, vn(2027, 3, 8, 16, 0), cal) == []  # told once
    async with migrated(database_url, friday) as sm:
        async with sm() as s:
            tr = await s.get(TicketTrack, ticket_id)
            assert tr is not None and tr.breach_at is not None
        officer = wf.Actor(user_id=None, role=Role.AGENCY, agency_id=ag)
        async with sm() as s, s.begin():
            await wf.progress(
                s, ticket_id, officer, vn(2027, 3, 8, 16, 0), "Đang xử lý", vn(2027, 3, 9, 10, 0)
            )
    # the new appointment is a new deadline: overdue again once it passes, no second breach
    assert await _check(database_url, vn(2027, 3, 9, 9, 0), cal) == [("agency", "approaching")]
    assert sorted(await _check(database_url, vn(2027, 3, 9, 10, 30), cal)) == [
        ("agency", "overdue"),
        ("supervisor", "overdue"),
    ]


async def test_progress_in_time_is_no_breach_and_phone_writeup_has_four_hours(
    database_url: str, cal: WorkingCalendar
) -> None:
    t0 = vn(2027, 3, 2, 9, 0)  # due 2027-03-03 09:00
    async with migrated(database_url, t0) as sm:
        ticket_id, ag = await _forward_at(sm, cal, t0)
        officer = wf.Actor(user_id=None, role=Role.AGENCY, agency_id=ag)
        async with sm() as s, s.begin():
            await wf.progress(
                s, ticket_id, officer, vn(2027, 3, 3, 8, 0), "Đang xác minh", vn(2027, 3, 4, 9, 0)
            )
        assert await _check(database_url, vn(2027, 3, 3, 10, 0), cal) == []
        async with sm() as s, s.begin():
            await wf.phone_answered(
                s, ticket_id, officer, vn(2027, 3, 3, 16, 0), cal, "Đã gọi lại cho công dân"
            )
        assert await _due(sm, ticket_id) == vn(2027, 3, 4, 10, 30)  # 1 h Wed + 3 h Thu from 07:30
        assert ("supervisor", "overdue") in await _check(database_url, vn(2027, 3, 4, 10, 31), cal)
        async with sm() as s, s.begin():
            await wf.answer(
                s, ticket_id, officer, vn(2027, 3, 4, 11, 0), "Nội dung đã trả lời qua điện thoại."
            )
        assert await _check(database_url, vn(2027, 3, 10, 10, 0), cal) == []


async def test_concurrent_deadline_checks_notify_once(database_url: str, cal: WorkingCalendar) -> None:
    """Every hub worker runs the check: two at once still tell the supervisor once."""
    friday = vn(2027, 3, 5, 15, 0)
    async with migrated(database_url, friday) as sm:
        for _ in range(3):
            await _forward_at(sm, cal, friday)
    import asyncio

    results = await asyncio.gather(*(_check(database_url, vn(2027, 3, 8, 15, 1), cal) for _ in range(4)))
    assert sum(len(r) for r in results) == 9  # 3 tickets × (supervisor overdue, agency overdue, breach)
    async with migrated(database_url, friday) as sm, sm() as s:
        kinds = (
            (await s.execute(select(Notification.kind).where(Notification.role == "supervisor")))
            .scalars()
            .all()
        )
        assert sorted(kinds) == ["breach"] * 3 + ["overdue"] * 3
