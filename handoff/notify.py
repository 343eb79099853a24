"""What the citizen is told at each step of a ticket (Điều 9.2, 10.2, 10.3, 10.4),
in Vietnamese, through the channel they wrote on.

Messages are stored with their outbox row in the caller's transaction (``add_reply``);
after commit the caller wakes the relay and publishes the returned messages. The hotline
names itself as configured (``HUB_HOTLINE_NAME``, passed in as ``hotline``): never a
province's name written here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import SenderRole
from handoff.calendar import HOTLINE_TZ
from storage.models import Conversation, Message, Ticket
from storage.record.outbound import add_reply


class Step(StrEnum):
    RECEIVED = "received"
    FORWARDED = "forwarded"
    UNCLEAR = "unclear"
    PROGRESS = "progress"
    ANSWERED = "answered"
    REFUSED = "refused"
    MORE_INFO = "more_info"


DEFAULT_HOTLINE = "Tổng đài"  # only when a caller names no hotline (bot.config: HUB_HOTLINE_NAME)

TEMPLATES: dict[Step, str] = {
    Step.RECEIVED: (
        "{hotline} đã tiếp nhận yêu cầu của anh/chị, mã phiếu {code}. "
        "Anh/chị vui lòng giữ mã phiếu để tra cứu kết quả."
    ),
    Step.FORWARDED: (
        "Yêu cầu mã {code} đã được chuyển tới {agency} để xem xét, trả lời. Thời hạn trả lời dự kiến: {due}."
    ),
    Step.UNCLEAR: (
        "Yêu cầu mã {code} đang được Sở Thông tin và Truyền thông xác định cơ quan có thẩm quyền "
        "giải quyết. {hotline} sẽ thông báo ngay khi chuyển tới cơ quan đó."
    ),
    Step.PROGRESS: (
        "{agency} thông báo tiến độ xử lý yêu cầu mã {code}: {text}\nThời gian hẹn trả lời mới: {due}."
    ),
    Step.ANSWERED: "Trả lời yêu cầu mã {code} ({agency}):\n{text}",
    Step.REFUSED: "{hotline} không tiếp nhận yêu cầu mã {code}. Lý do: {text}",
    Step.MORE_INFO: (
        "Để giải quyết yêu cầu mã {code}, {agency} đề nghị anh/chị bổ sung thông tin: {text}\n"
        "Anh/chị vui lòng trả lời ngay trong cuộc trò chuyện này."
    ),
}


def format_time(value: datetime | None) -> str:
    """``14:30 ngày 29/04/2027`` in the hotline's timezone."""
    if value is None:
        return "sẽ được thông báo sau"
    local = value.astimezone(HOTLINE_TZ)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def render(
    step: Step, ticket: Ticket, *, text: str = "", due: datetime | None = None, hotline: str | None = None
) -> str:
    return TEMPLATES[step].format(
        hotline=hotline or DEFAULT_HOTLINE,
        code=ticket.code,
        agency=ticket.agency or "cơ quan chuyên môn",
        text=text.strip(),
        due=format_time(due),
    )


async def tell_citizen(
    session: AsyncSession,
    ticket: Ticket,
    step: Step,
    now: datetime,
    *,
    text: str = "",
    due: datetime | None = None,
    user_id: int | None = None,
    role: SenderRole | None = None,
    hotline: str | None = None,
) -> Message | None:
    """Queue the step's message in the ticket's conversation; None for a phone ticket
    (no channel to write to: the officer calls back and the history records it)."""
    if ticket.conversation_id is None:
        return None
    conv = await session.get(Conversation, ticket.conversation_id)
    if conv is None:
        return None
    if role is None:
        role = SenderRole.OPERATOR if user_id is not None else SenderRole.SYSTEM
    body = render(step, ticket, text=text, due=due, hotline=hotline)
    meta = {"ticket": ticket.code, "step": step.value}
    return await add_reply(session, conv, body, now, role=role, user_id=user_id, meta=meta)
