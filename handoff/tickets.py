"""Tickets (phiếu): numbering and creation, shared by the console, the conversation
pipeline and the Rasa actions; what a citizen adds to an open ticket; the answer's due text.

A code is ``<prefix>-YYYY-NNNNNN`` (``1022-2027-000042``): sequential per year in the
hotline's timezone. The number is taken with ``UPDATE … RETURNING`` on the year's
``ticket_counters`` row inside the caller's transaction, so the row stays locked until
it commits: two concurrent creations never get the same number, and a rolled-back
creation gives its number back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.calendar import HOTLINE_TZ
from handoff.deadlines import ANSWER_WITHIN
from handoff.webhook_events import record_ticket_event
from storage.dialect import dialect_insert
from storage.models import Contact, Conversation, Ticket, TicketCounter
from storage.models_console import Domain, TicketEvent, TicketStatus, TicketTrack
from storage.search import ticket_search_text

DEFAULT_PREFIX = "1022"
PREFIX_ENV = "HUB_TICKET_PREFIX"
KINDS = ("request", "incident", "call")
CONTACT_FIELDS = ("full_name", "phone", "email", "address")


class TicketError(ValueError):
    """Bad input for a ticket (empty content, unknown kind, naive time)."""


def ticket_prefix(environ: Mapping[str, str] | None = None) -> str:
    """The code prefix: ``HUB_TICKET_PREFIX`` (e.g. another province's hotline), else 1022."""
    env = os.environ if environ is None else environ
    prefix = (env.get(PREFIX_ENV) or DEFAULT_PREFIX).strip()
    if not prefix or any(c.isspace() for c in prefix):
        raise TicketError(f"{PREFIX_ENV} không hợp lệ: {prefix!r}")
    return prefix


def format_code(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year:04d}-{number:06d}"


async def next_number(session: AsyncSession, year: int) -> int:
    """Take the next number of ``year`` (locks the counter row until the transaction ends)."""
    await session.execute(
        dialect_insert(session, TicketCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    result = await session.execute(
        update(TicketCounter)
        .where(TicketCounter.year == year)
        .values(last_number=TicketCounter.last_number + 1)
        .returning(TicketCounter.last_number)
    )
    return int(result.scalar_one())


def _snapshot(contact: Contact | None, given: Mapping[str, str | None]) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    if contact is not None:
        snap["contact_id"] = contact.id
        snap["display_name"] = contact.display_name
        for key in CONTACT_FIELDS:
            snap[key] = getattr(contact, key)
    for key, value in given.items():
        if value:
            snap[key] = value
    return snap


def _fill_contact(contact: Contact, given: Mapping[str, str | None], now: datetime) -> None:
    """What the citizen told us (Điều 7.2) completes their contact record."""
    changed = False
    for key, value in given.items():
        if value and getattr(contact, key) != value:
            setattr(contact, key, value)
            changed = True
    if changed:
        contact.updated_at = now


def refresh_search_text(ticket: Ticket) -> None:
    """Recompute ``ticket.search_text`` (:mod:`storage.search`) after its content changed."""
    ticket.search_text = ticket_search_text(ticket.code, ticket.content, ticket.contact_snapshot)


async def create_ticket(
    session: AsyncSession,
    conversation: Conversation | None,
    *,
    content: str,
    now: datetime,
    kind: str = "request",
    full_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    address: str | None = None,
    channel: str | None = None,
    domain: Domain | None = None,
    user_id: int | None = None,
    prefix: str | None = None,
) -> Ticket:
    """Record a request (Điều 9.1) in the caller's transaction and return the ticket.

    ``conversation`` is None for a phone call (then ``channel`` defaults to ``phone``).
    The ticket starts ``new`` with one status-history event; nothing is sent here —
    :func:`handoff.transitions.open_ticket` also tells the citizen the code.
    """
    content = (content or "").strip()
    if not content:
        raise TicketError("Nội dung phiếu không được để trống")
    if kind not in KINDS:
        raise TicketError(f"Loại phiếu không hợp lệ: {kind!r} (cho phép: {', '.join(KINDS)})")
    if now.tzinfo is None:
        raise TicketError("Thời điểm tạo phiếu phải có múi giờ")
    now = now.astimezone(UTC)
    given = {"full_name": full_name, "phone": phone, "email": email, "address": address}
    given = {k: (v.strip() if isinstance(v, str) else None) for k, v in given.items()}
    contact = await session.get(Contact, conversation.contact_id) if conversation is not None else None
    if contact is not None:
        _fill_contact(contact, given, now)
    year = now.astimezone(HOTLINE_TZ).year
    number = await next_number(session, year)
    ticket = Ticket(
        code=format_code(prefix or ticket_prefix(), year, number),
        year=year,
        number=number,
        conversation_id=conversation.id if conversation is not None else None,
        contact_id=contact.id if contact is not None else None,
        channel=channel or (conversation.channel if conversation is not None else "phone"),
        status=TicketStatus.NEW.value,
        kind=kind,
        content=content,
        contact_snapshot=_snapshot(contact, given),
        domain=domain.name if domain is not None else None,
        agency=None,
        due_at=None,
        created_at=now,
        updated_at=now,
    )
    refresh_search_text(ticket)
    session.add(ticket)
    await session.flush()
    session.add(
        TicketTrack(
            ticket_id=ticket.id,
            domain_id=domain.id if domain is not None else None,
            created_by_id=user_id,
            received_at=now,
        )
    )
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            user_id=user_id,
            action="received",
            from_status=None,
            to_status=TicketStatus.NEW.value,
            text=None,
        )
    )
    await session.flush()
    await record_ticket_event(session, ticket, "ticket.created", now)  # outbound webhooks (issue 17)
    return ticket


NOTE_ACTION = "citizen_note"  # a ticket event: what the citizen added after the ticket was opened
NOTE_HEADER = "Người dân bổ sung"


async def add_citizen_note(
    session: AsyncSession, conversation: Conversation, code: str, text: str, now: datetime
) -> Ticket | None:
    """Attach what the citizen wrote after the ticket was opened (until staff take the
    conversation): appended to the ticket's content, so whoever handles it reads the whole
    matter, and recorded as a ``citizen_note`` event with its time. In the caller's
    transaction. None when ``code`` is not a ticket of this conversation or ``text`` is blank."""
    text = (text or "").strip()
    if not text:
        return None
    if now.tzinfo is None:
        raise TicketError("Thời điểm bổ sung phải có múi giờ")
    now = now.astimezone(UTC)
    ticket = (
        await session.execute(
            select(Ticket)
            .where(Ticket.code == code, Ticket.conversation_id == conversation.id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if ticket is None:
        return None
    ticket.content = (
        f"{ticket.content}\n\n{NOTE_HEADER} ({now.astimezone(HOTLINE_TZ):%H:%M %d/%m/%Y}): {text}"
    )
    ticket.updated_at = now
    refresh_search_text(ticket)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            user_id=None,
            action=NOTE_ACTION,
            from_status=ticket.status,
            to_status=ticket.status,
            text=text,
        )
    )
    await session.flush()
    return ticket


def answer_due_text(due: datetime | None) -> str:
    """When the citizen can expect an answer, in their words. The 8 working hours of
    Điều 10.3 run from the forward to the agency, not from the ticket's creation: before the
    forward (``due`` None) no clock runs and no time is promised (the forward's message gives
    the due time, :mod:`handoff.notify`); after it, the ticket's deadline."""
    if due is None:
        hours = int(ANSWER_WITHIN.total_seconds() // 3600)
        return (
            f"trong {hours} giờ làm việc kể từ khi yêu cầu được chuyển tới cơ quan có thẩm quyền; "
            "thời hạn cụ thể sẽ được thông báo khi chuyển"
        )
    local = due.astimezone(HOTLINE_TZ)
    return f"trước {local:%H:%M} ngày {local:%d/%m/%Y}"
