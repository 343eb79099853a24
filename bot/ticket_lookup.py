"""A citizen writes a ticket code of this hotline in a chat: the bot answers with the
ticket's status (issue 15, item 2), before any dialogue engine is asked.

* in a conversation of the citizen the ticket came from (the same contact, merged contacts
  included), without more: the citizen already holds the conversation;
* elsewhere, only with the last 4 digits of the phone given on the ticket in the same
  message, through the public lookup's check and its limits on wrong guesses
  (``handoff.lookup.public_lookup``, counted per code and per channel account); without
  them the bot says how to ask.

A code of another hotline's prefix, or no code, leaves the message to the dialogue engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.engine import EngineReply, EngineResult
from handoff.calendar import HOTLINE_TZ
from handoff.lookup import CitizenStatus, Limits, codes_in, public_lookup, ticket_status_for_citizen
from storage.models import Contact, Conversation, Ticket
from storage.session import SessionMaker

ACT = "ticket_status"  # the reply's meta act
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def lookup_limits(settings: Settings) -> Limits:
    """The limits on wrong guesses (``HUB_LOOKUP_*``), for the page and the chats alike."""
    return Limits(
        settings.lookup_code_limit,
        settings.lookup_address_limit,
        timedelta(seconds=settings.lookup_window_seconds),
    )


@dataclass(frozen=True)
class ChatLookup:
    """The chat lookup of one hub: its ticket code prefix, public URL and limits."""

    sm: SessionMaker
    prefix: str
    public_url: str
    limits: Limits

    async def answer(
        self, conv: Conversation, external_id: str, text: str, now: datetime
    ) -> EngineResult | None:
        """The status reply when ``text`` mentions one of this hotline's ticket codes."""
        codes = [c for c in codes_in(text) if c.startswith(self.prefix.upper() + "-")]
        if not codes:
            return None
        code = codes[0]
        async with self.sm() as s, s.begin():
            if await _theirs(s, conv, code):
                status = await ticket_status_for_citizen(s, code, now)
                reply = status_text(status) if status else _unknown(code)
            else:
                reply = await self._checked(s, conv, external_id, code, text, now)
        return EngineResult([EngineReply(reply)], meta={"act": ACT, "ticket_code": code})

    async def _checked(
        self, s: AsyncSession, conv: Conversation, external_id: str, code: str, text: str, now: datetime
    ) -> str:
        digits = _FOUR_DIGITS.findall(text.replace(code, " ").replace(code.lower(), " "))
        if not digits:
            return (
                f"Để tra cứu phiếu {code}, anh/chị nhắn mã phiếu kèm 4 số cuối của số điện thoại đã "
                f"cung cấp khi gửi yêu cầu (ví dụ: {code} 1234), hoặc tra cứu tại "
                f"{self.public_url.rstrip('/')}/tra-cuu/."
            )
        outcome = await public_lookup(s, code, digits[-1], f"{conv.channel}:{external_id}", now, self.limits)
        if outcome.status is not None:
            return status_text(outcome.status)
        if outcome.retry_at is not None:
            return f"{outcome.error}. Anh/chị hãy thử lại sau {_when(outcome.retry_at)}."
        return outcome.error or _unknown(code)


async def _theirs(s: AsyncSession, conv: Conversation, code: str) -> bool:
    """The ticket came from this citizen: this conversation, or the contact (with the
    contacts merged into it, or it into another)."""
    contacts = {conv.contact_id}
    contact = await s.get(Contact, conv.contact_id)
    if contact is not None and contact.merged_into_id:
        contacts.add(contact.merged_into_id)
    merged = await s.execute(select(Contact.id).where(Contact.merged_into_id.in_(contacts)))
    contacts.update(merged.scalars())
    found = await s.execute(
        select(Ticket.id).where(
            Ticket.code == code,
            or_(Ticket.conversation_id == conv.id, Ticket.contact_id.in_(contacts)),
        )
    )
    return found.first() is not None


def _when(value: datetime) -> str:
    return value.astimezone(HOTLINE_TZ).strftime("%H:%M ngày %d/%m/%Y")


def _unknown(code: str) -> str:
    return f"Không tìm thấy phiếu {code}. Anh/chị kiểm tra lại mã phiếu giúp."


def status_text(st: CitizenStatus) -> str:
    """The ticket's status as the bot says it."""
    lines = [f"Phiếu {st.code} (tiếp nhận {_when(st.received_at)}): {st.status_label}."]
    if st.agency:
        lines.append(f"Đơn vị xử lý: {st.agency}.")
    if st.due_at and not st.answer:
        late = " (đã quá hạn, tổng đài đang đôn đốc)" if st.overdue else ""
        lines.append(f"Hạn trả lời: {_when(st.due_at)}{late}.")
    for note in st.notes[-3:]:
        if note.text:
            lines.append(f"- {_when(note.at)}: {note.label}: {note.text}")
    if st.answer:
        answered = f" ({_when(st.answered_at)})" if st.answered_at else ""
        lines.append(f"Trả lời{answered}: {st.answer}")
    elif st.refusal_reason:
        lines.append(f"Lý do: {st.refusal_reason}")
    return "\n".join(lines)
