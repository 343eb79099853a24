"""The citizen's lookup (handoff.lookup) over stored data, SQLite and PostgreSQL: the
status a citizen sees (no internal notes), the code and the phone's last 4 digits, and the
wrong guesses limited per code and per client address with a moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from handoff import workflow as wf
from handoff.calendar import WorkingCalendar, load_calendar_text
from handoff.lookup import (
    SCOPE_ADDRESS,
    SCOPE_CODE,
    WRONG,
    Limits,
    LookupOutcome,
    codes_in,
    failures_count,
    public_lookup,
    ticket_status_for_citizen,
)
from storage.models import Conversation
from storage.models_console import Role
from storage.session import SessionMaker
from tests.console.dbutil import agency_id, make_conversation, migrated
from tests.handoff.calendars import MON_FRI

T0 = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Việt Nam
OPERATOR = wf.Actor(user_id=None, role=Role.OPERATOR, username="op")
SUPERVISOR = wf.Actor(user_id=None, role=Role.SUPERVISOR, username="sv")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[SessionMaker]:
    async with migrated(database_url, T0) as sm:
        yield sm


@pytest.fixture
def cal() -> WorkingCalendar:
    return load_calendar_text(MON_FRI, "test")


async def _ticket(sm: SessionMaker, phone: str | None = "0912 345 678") -> tuple[int, str]:
    conv_id = await make_conversation(sm, T0)
    async with sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        out = await wf.open_ticket(
            s, conv, OPERATOR, T0, content="Hỏi về hỗ trợ học phí", full_name="Lê Văn Dân", phone=phone
        )
        return out.ticket.id, out.ticket.code


async def _lookup(
    sm: SessionMaker, code: str, digits: str, client: str, now: datetime, per_address: int = 20
) -> LookupOutcome:
    async with sm() as s, s.begin():
        return await public_lookup(s, code, digits, client, now, Limits(per_address=per_address))


async def test_a_citizen_sees_status_agency_due_progress_and_answer(
    db: SessionMaker, cal: WorkingCalendar
) -> None:
    tid, code = await _ticket(db)
    yte = await agency_id(db, "so-yte")
    async with db() as s, s.begin():
        await wf.forward(s, tid, OPERATOR, T0, cal, yte, "Ghi chú nội bộ cho đơn vị")
    async with db() as s, s.begin():
        out = await public_lookup(s, code.lower().replace("-", " - "), "5678", "203.0.113.7", T0)
    st = out.status
    assert out.error is None and st is not None
    assert st.code == code and st.status == "forwarded" and st.status_label == "đã chuyển đơn vị"
    assert st.agency == "Sở Y tế" and st.due_at is not None and not st.overdue
    assert [n.action for n in st.notes] == ["received", "forwarded"]
    assert all(n.text is None for n in st.notes)  # the forward note is the agency's, not the citizen's
    assert st.answer is None

    officer = wf.Actor(user_id=None, role=Role.AGENCY, agency_id=yte, username="yte")
    later = T0 + timedelta(hours=2)
    async with db() as s, s.begin():
        await wf.progress(s, tid, officer, later, "Đang xác minh hồ sơ", later + timedelta(days=2))
    async with db() as s, s.begin():
        await wf.answer(s, tid, officer, later + timedelta(hours=1), "Anh được hỗ trợ 50% học phí.")
    async with db() as s:
        st = await ticket_status_for_citizen(s, code, later + timedelta(days=5))
    assert st is not None and st.status == "answered" and st.due_at is None and not st.overdue
    progress = next(n for n in st.notes if n.action == "progress")
    assert progress.text == "Đang xác minh hồ sơ" and progress.due_at == later + timedelta(days=2)
    assert st.answer == "Anh được hỗ trợ 50% học phí." and st.answered_at == later + timedelta(hours=1)
    async with db() as s:
        assert await ticket_status_for_citizen(s, "1022-2027-999999", T0) is None


async def test_overdue_and_refused(db: SessionMaker, cal: WorkingCalendar) -> None:
    tid, code = await _ticket(db)
    async with db() as s, s.begin():
        await wf.forward(s, tid, OPERATOR, T0, cal, await agency_id(db, "so-gtvt"), "")
    async with db() as s:
        st = await ticket_status_for_citizen(s, code, T0 + timedelta(days=7))
    assert st is not None and st.overdue
    tid2, code2 = await _ticket(db)
    async with db() as s, s.begin():
        await wf.refuse(s, tid2, OPERATOR, T0, "Ngoài phạm vi của Tổng đài")
    async with db() as s:
        st = await ticket_status_for_citizen(s, code2, T0)
    assert st is not None and st.refusal_reason == "Ngoài phạm vi của Tổng đài"
    assert [n.text for n in st.notes if n.action == "refused"] == ["Ngoài phạm vi của Tổng đài"]


async def test_wrong_guesses_are_limited_per_code(db: SessionMaker) -> None:
    _, code = await _ticket(db)
    now = T0
    for i in range(5):  # five wrong guesses, from five addresses
        out = await _lookup(db, code, f"{1000 + i}", f"198.51.100.{i}", now + timedelta(minutes=i))
        assert out.error == WRONG and out.retry_at is None
    async with db() as s:
        assert await failures_count(s, SCOPE_CODE, code) == 5
    # the code is locked for everyone, the right digits too, until the first failure is an hour old
    out = await _lookup(db, code, "5678", "192.0.2.1", now + timedelta(minutes=10))
    assert out.status is None and out.retry_at == now + timedelta(hours=1)
    out = await _lookup(db, code, "5678", "192.0.2.1", now + timedelta(hours=1, seconds=1))
    assert out.status is not None and out.status.code == code


async def test_wrong_guesses_are_limited_per_address(db: SessionMaker) -> None:
    _, code = await _ticket(db)
    _, other = await _ticket(db, phone="+84 987 654 321")
    for i in range(3):  # codes that exist or not, all wrong
        guess = code if i == 0 else f"1022-2027-00090{i}"
        out = await _lookup(db, guess, "0000", "203.0.113.9", T0, per_address=3)
        assert out.error == WRONG
    out = await _lookup(db, other, "4321", "203.0.113.9", T0 + timedelta(minutes=1), per_address=3)
    assert out.status is None and out.retry_at == T0 + timedelta(hours=1)
    async with db() as s:
        assert await failures_count(s, SCOPE_ADDRESS, "203.0.113.9") == 3
    # another address is not concerned, and a phone given as +84 matches its last 4 digits
    out = await _lookup(db, other, "4321", "203.0.113.10", T0 + timedelta(minutes=1), per_address=3)
    assert out.status is not None


async def test_a_form_not_filled_in_counts_nothing(db: SessionMaker) -> None:
    _, code = await _ticket(db)
    _, no_phone = await _ticket(db, phone=None)
    for digits in ("", "12", "12345", "abcd"):
        out = await _lookup(db, code, digits, "203.0.113.5", T0)
        assert out.invalid
    out = await _lookup(db, "not a code", "5678", "203.0.113.5", T0)
    assert out.invalid
    async with db() as s:
        assert await failures_count(s, SCOPE_ADDRESS, "203.0.113.5") == 0
    # a ticket without a phone cannot be looked up here: the same answer as a wrong guess
    out = await _lookup(db, no_phone, "0000", "203.0.113.5", T0)
    assert out.error == WRONG


async def test_old_failures_are_purged(db: SessionMaker) -> None:
    _, code = await _ticket(db)
    await _lookup(db, code, "0000", "203.0.113.5", T0)
    await _lookup(db, code, "0001", "203.0.113.5", T0 + timedelta(hours=3))
    async with db() as s:
        assert await failures_count(s, SCOPE_CODE, code) == 1


def test_codes_in_a_message() -> None:
    text = "Cho hỏi phiếu 1022-2027-000042 và 1022-2027-000042, còn mã 1022-2027-00004 sai"
    assert codes_in(text) == ["1022-2027-000042"]
    assert codes_in("mã phiếu: 1022-2027-000001.") == ["1022-2027-000001"]
