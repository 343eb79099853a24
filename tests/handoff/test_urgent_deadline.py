"""Urgent tickets (Điều 13.2) in the workflow over stored data: the shorter deadline of
HUB_URGENT_DEADLINE_HOURS from the forward (the Điều 10.3 breach still judged on the 8
hours), the regulation's 8 hours when it is not set, the agency told at once when a ticket
at the agency is marked urgent, and the "approaching" warning once per deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handoff import workflow as wf
from handoff.calendar import WorkingCalendar, load_calendar_text
from handoff.deadlines import URGENT_ENV, urgent_answer_within
from storage.clock import as_utc
from storage.models_console import Notification, TicketTrack
from storage.session import SessionMaker
from tests.console.dbutil import agency_id, migrated
from tests.handoff.calendars import MON_FRI
from tests.handoff.test_workflow import OPERATOR, _due, _new_ticket, vn


@pytest.fixture
def cal() -> WorkingCalendar:
    return load_calendar_text(MON_FRI, "test")


def test_the_setting() -> None:
    assert urgent_answer_within({}) == timedelta(hours=8)
    assert urgent_answer_within({URGENT_ENV: " "}) == timedelta(hours=8)
    assert urgent_answer_within({URGENT_ENV: "4"}) == timedelta(hours=4)
    assert urgent_answer_within({URGENT_ENV: "1.5"}) == timedelta(minutes=90)
    for wrong in ("0", "-2", "9", "tám", "nan", "inf"):
        with pytest.raises(ValueError, match=URGENT_ENV):
            urgent_answer_within({URGENT_ENV: wrong})


async def _urgent_forward(
    sm: SessionMaker, cal: WorkingCalendar, within: timedelta | None, *, urgent: bool = True
) -> int:
    t0 = vn(2027, 3, 2, 9, 0)  # Tuesday 09:00
    ticket_id = await _new_ticket(sm, t0)
    yte = await agency_id(sm, "so-yte")  # before the transaction: SQLite's pool has one connection
    async with sm() as s, s.begin():
        if urgent:
            await wf.set_urgent(s, ticket_id, OPERATOR, t0, True)
        kw = {} if within is None else {"urgent_within": within}
        await wf.forward(s, ticket_id, OPERATOR, t0, cal, yte, **kw)
    return ticket_id


async def test_urgent_forward_gets_the_shorter_deadline(database_url: str, cal: WorkingCalendar) -> None:
    async with migrated(database_url, vn(2027, 3, 2, 9, 0)) as sm:
        short = await _urgent_forward(sm, cal, timedelta(hours=4))
        default = await _urgent_forward(sm, cal, None)  # setting unset: the regulation's 8 hours
        plain = await _urgent_forward(sm, cal, timedelta(hours=4), urgent=False)
        assert await _due(sm, short) == vn(2027, 3, 2, 14, 30)
        assert await _due(sm, default) == vn(2027, 3, 3, 9, 0)
        assert await _due(sm, plain) == vn(2027, 3, 3, 9, 0)  # only urgent tickets get less
        async with sm() as s:
            track = await s.get(TicketTrack, short)
            assert track is not None
            assert as_utc(track.answer_due_at) == vn(2027, 3, 3, 9, 0)  # Điều 10.3 breach: 8 hours

            # the agency's notice names the urgency
            texts = (
                await s.execute(select(Notification.text).where(Notification.ticket_id == short))
            ).scalars()
            assert any("KHẨN" in t for t in texts)


async def test_marked_urgent_at_the_agency_tells_it_once(database_url: str, cal: WorkingCalendar) -> None:
    async with migrated(database_url, vn(2027, 3, 2, 9, 0)) as sm:
        tid = await _urgent_forward(sm, cal, timedelta(hours=4), urgent=False)
        for _ in range(2):  # the second mark changes nothing
            async with sm() as s, s.begin():
                out = await wf.set_urgent(s, tid, OPERATOR, vn(2027, 3, 2, 10, 0), True)
        assert out.notifications == []
        async with sm() as s:
            kinds = (
                await s.execute(
                    select(Notification.kind, Notification.role)
                    .where(Notification.ticket_id == tid)
                    .order_by(Notification.id)
                )
            ).all()
        assert [tuple(k) for k in kinds] == [("forwarded", "agency"), ("urgent", "agency")]
        assert await _due(sm, tid) == vn(2027, 3, 3, 9, 0)  # the deadline given at the forward stays


async def test_approaching_once_per_deadline(database_url: str, cal: WorkingCalendar) -> None:
    async with migrated(database_url, vn(2027, 3, 2, 9, 0)) as sm:
        tid = await _urgent_forward(sm, cal, None, urgent=False)  # due Wednesday 09:00

        async def scan(hour: int, minute: int = 0) -> list[str]:
            async with sm() as s, s.begin():
                return [n.kind for n in await wf.check_deadlines(s, vn(2027, 3, 3, hour, minute), cal)]

        assert await scan(7, 0) == ["approaching"]  # 1.5 working hours left
        assert await scan(8, 0) == []
        assert await scan(9, 1) == ["overdue", "overdue", "breach"]
        async with sm() as s:
            track = await s.get(TicketTrack, tid)
            assert track is not None and as_utc(track.approaching_notified_for) == vn(2027, 3, 3, 9, 0)
