"""What the citizen is told names the hotline as configured (HUB_HOTLINE_NAME), never a
written-in "Tổng đài 1022" or number; and a new ticket promises no clock time before the
forward starts the 8 working hours (handoff.tickets.answer_due_text)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from handoff import workflow as wf
from handoff.notify import TEMPLATES, Step, render
from handoff.tickets import answer_due_text
from storage.models import Conversation, Message, Ticket
from tests.console.dbutil import make_conversation, migrated
from tests.handoff.test_workflow import OPERATOR, vn

OTHER = "Đường dây nóng Hải Dương"


def test_no_template_names_a_hotline_or_number() -> None:
    ticket = Ticket(code="HD-2027-000001", agency="Sở Y tế")
    for step, template in TEMPLATES.items():
        assert "1022" not in template, step
        text = render(step, ticket, text="nội dung", due=vn(2027, 3, 3, 9, 0), hotline=OTHER)
        assert "1022" not in text, step
    assert render(Step.RECEIVED, ticket, hotline=OTHER).startswith(f"{OTHER} đã tiếp nhận")
    assert render(Step.REFUSED, ticket, text="ngoài phạm vi", hotline=OTHER).startswith(OTHER)


def test_no_time_promised_before_the_forward() -> None:
    before = answer_due_text(None)
    assert "8 giờ làm việc kể từ khi yêu cầu được chuyển tới cơ quan có thẩm quyền" in before
    assert ":" not in before and "ngày" not in before  # no clock time, no date
    after = answer_due_text(datetime(2027, 3, 3, 2, 0, tzinfo=UTC))
    assert after == "trước 09:00 ngày 03/03/2027"


async def test_received_and_refused_messages_use_the_configured_name(database_url: str) -> None:
    t0 = vn(2027, 3, 2, 9, 0)
    async with migrated(database_url, t0) as sm:
        conv_id = await make_conversation(sm, t0)
        async with sm() as s, s.begin():
            conv = await s.get(Conversation, conv_id)
            out = await wf.open_ticket(s, conv, OPERATOR, t0, content="Hỏi", hotline=OTHER)
            await wf.refuse(s, out.ticket.id, OPERATOR, t0, "Ngoài phạm vi", hotline=OTHER)
        async with sm() as s:
            texts = list(
                (
                    await s.execute(
                        select(Message.text).where(Message.conversation_id == conv_id).order_by(Message.id)
                    )
                ).scalars()
            )
    assert [t.split(" ", 4)[:4] for t in texts] == [OTHER.split(" ")[:4]] * 2
    assert not any("1022" in t.replace(out.ticket.code, "") for t in texts)
