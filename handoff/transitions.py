"""The ticket's state changes: with :mod:`handoff.agency_transitions` (the agency officer's
progress, phone answer, request for more information and send-back), the one owner of its
status once created (the only callers of :func:`handoff.workflow_base.move`). The state
diagram is in :mod:`handoff.workflow`.

Every function runs inside the caller's transaction, checks the actor's right, writes
the status history and queues the citizen's message; it returns an :class:`Outcome` the
caller publishes after commit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import SenderRole
from handoff.calendar import WorkingCalendar
from handoff.deadlines import ANSWER_WITHIN, answer_due, forward_due
from handoff.loaders import load
from handoff.notify import Step, format_time, tell_citizen
from handoff.ticket_domain import domain_at_forward
from handoff.tickets import create_ticket
from handoff.webhook_events import record_ticket_event
from handoff.workflow_base import (
    OVERSIGHT,
    STAFF,
    Actor,
    Outcome,
    WorkflowError,
    add_notice,
    move,
    require_agency_officer,
    require_role,
    required_text,
    said,
    status_in,
    utc,
)
from storage.clock import as_utc
from storage.models import Conversation, Ticket
from storage.models_console import (
    FINAL_STATUSES,
    OPEN_AT_AGENCY,
    Agency,
    Domain,
    Role,
    TicketEvent,
    TicketStatus,
    TicketTrack,
)

NOT_FINAL = tuple(s for s in TicketStatus if s not in FINAL_STATUSES)
AT_AGENCY = frozenset(s.value for s in OPEN_AT_AGENCY)


async def open_ticket(
    session: AsyncSession,
    conversation: Conversation | None,
    actor: Actor,
    now: datetime,
    *,
    content: str,
    kind: str = "request",
    domain_id: int | None = None,
    prefix: str | None = None,
    tell: bool = True,
    full_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    address: str | None = None,
    hotline: str | None = None,
) -> Outcome:
    """Record a request and tell the citizen its code (Điều 9.1); ``hotline``: the name the
    hotline calls itself (``HUB_HOTLINE_NAME``)."""
    now = utc(now)
    require_role(actor, STAFF)
    domain = await session.get(Domain, domain_id) if domain_id else None
    if domain_id and domain is None:
        raise WorkflowError("Lĩnh vực không tồn tại", 400)
    ticket = await create_ticket(
        session,
        conversation,
        content=content,
        now=now,
        kind=kind,
        domain=domain,
        user_id=actor.user_id,
        prefix=prefix,
        full_name=full_name,
        phone=phone,
        email=email,
        address=address,
    )
    track = await session.get(TicketTrack, ticket.id)
    assert track is not None
    out = Outcome(ticket, track)
    if tell:
        said(
            out,
            await tell_citizen(session, ticket, Step.RECEIVED, now, user_id=actor.user_id, hotline=hotline),
        )
    return out


async def refuse(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    reason: str,
    *,
    hotline: str | None = None,
) -> Outcome:
    """Out of scope or unlawful: refused, and the citizen told why at once (Điều 3.6, 9.2)."""
    now = utc(now)
    require_role(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    reason = required_text(reason, "lý do từ chối")
    status_in(ticket, (TicketStatus.NEW, TicketStatus.UNCLEAR), "từ chối")
    move(session, ticket, actor, now, "refused", TicketStatus.REFUSED, text=reason)
    track.refusal_reason = reason
    ticket.due_at = None
    out = Outcome(ticket, track)
    said(
        out,
        await tell_citizen(
            session, ticket, Step.REFUSED, now, text=reason, user_id=actor.user_id, hotline=hotline
        ),
    )
    return out


async def _forward(
    session: AsyncSession,
    ticket: Ticket,
    track: TicketTrack,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    agency_id: int,
    note: str | None,
    action: str,
    call_transferred: bool = False,
    urgent_within: timedelta = ANSWER_WITHIN,
    domain_id: int | None = None,
) -> Outcome:
    now = utc(now)
    agency = await session.get(Agency, agency_id)
    if agency is None or not agency.active:
        raise WorkflowError("Đơn vị không tồn tại hoặc đã ngừng hoạt động", 400)
    await domain_at_forward(session, ticket, track, agency.id, domain_id)  # handoff.ticket_domain
    legal = answer_due(now, calendar).astimezone(UTC)  # Điều 10.3: 8 working hours
    # a call answered live on the agency's line: 4 working hours to write it up; Điều 13.2:
    # an urgent request may get less (HUB_URGENT_DEADLINE_HOURS)
    due = forward_due(now, calendar, call_transferred, bool(track.urgent), urgent_within).astimezone(UTC)
    ticket.agency = agency.name
    ticket.due_at = due
    track.agency_id = agency.id
    track.forwarded_at = now
    track.forward_note = (note or "").strip() or None
    track.answer_due_at = due if call_transferred else legal  # Điều 10.3 breach: on the 8 hours
    track.appointment_at = None
    track.last_progress_at = None
    track.overdue_notified_for = None
    track.approaching_notified_for = None
    track.breach_at = None
    track.phone_answered_at = now if call_transferred else None
    move(
        session,
        ticket,
        actor,
        now,
        "call_transferred" if call_transferred else action,
        TicketStatus.PHONE_ANSWERED if call_transferred else TicketStatus.FORWARDED,
        text=track.forward_note,
        agency_id=agency.id,
    )
    await record_ticket_event(session, ticket, "ticket.forwarded", now)  # outbound webhooks (issue 17)
    out = Outcome(ticket, track)
    what = (
        "cuộc gọi được chuyển máy tới đơn vị, hạn cập nhật trả lời"
        if call_transferred
        else ("được chuyển tới đơn vị, hạn trả lời")
    )
    urgent = "KHẨN " if track.urgent else ""
    add_notice(
        session,
        out,
        Role.AGENCY,
        action if action == "assigned" else "forwarded",
        f"Phiếu {urgent}{ticket.code}: {what} {format_time(due)}",
        now,
        agency.id,
    )
    said(out, await tell_citizen(session, ticket, Step.FORWARDED, now, due=due, user_id=actor.user_id))
    return out


async def forward(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    agency_id: int,
    note: str | None = None,
    *,
    call_transferred: bool = False,
    urgent_within: timedelta = ANSWER_WITHIN,
    domain_id: int | None = None,
) -> Outcome:
    """Phiếu chuyển to the responsible agency (Điều 10.1): 8 working hours to answer
    (an urgent ticket: ``urgent_within``, Điều 13.2). ``call_transferred``: a call put
    through to the agency's hotline and answered there — the answer must be written into
    the software within 4 working hours (Điều 10.3)."""
    now = utc(now)
    require_role(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    allowed = (TicketStatus.NEW, TicketStatus.UNCLEAR) if actor.role in OVERSIGHT else (TicketStatus.NEW,)
    status_in(ticket, allowed, "chuyển")
    if call_transferred and ticket.kind != "call":
        raise WorkflowError("Chỉ phiếu cuộc gọi mới chuyển máy tới đơn vị được", 400)
    return await _forward(
        session,
        ticket,
        track,
        actor,
        now,
        calendar,
        agency_id,
        note,
        "forwarded",
        call_transferred,
        urgent_within,
        domain_id,
    )


async def mark_unclear(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    note: str | None = None,
    *,
    hotline: str | None = None,
) -> Outcome:
    """Authority unclear: to the supervisor's queue (Điều 10.4)."""
    now = utc(now)
    require_role(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    status_in(ticket, (TicketStatus.NEW,), "chuyển Sở TT&TT")
    move(session, ticket, actor, now, "unclear", TicketStatus.UNCLEAR, text=(note or "").strip() or None)
    out = Outcome(ticket, track)
    add_notice(
        session,
        out,
        Role.SUPERVISOR,
        "unclear",
        f"Phiếu {ticket.code} cần xác định cơ quan có thẩm quyền",
        now,
    )
    said(out, await tell_citizen(session, ticket, Step.UNCLEAR, now, user_id=actor.user_id, hotline=hotline))
    return out


async def assign(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    agency_id: int,
    note: str | None = None,
    *,
    urgent_within: timedelta = ANSWER_WITHIN,
    domain_id: int | None = None,
) -> Outcome:
    """The supervisor names the owner of an unclear ticket; it is forwarded at once (Điều 10.4)."""
    now = utc(now)
    require_role(actor, OVERSIGHT)
    ticket, track = await load(session, ticket_id, actor)
    status_in(ticket, (TicketStatus.UNCLEAR,), "giao đơn vị cho")
    return await _forward(
        session,
        ticket,
        track,
        actor,
        now,
        calendar,
        agency_id,
        note,
        "assigned",
        urgent_within=urgent_within,
        domain_id=domain_id,
    )


async def answer(session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, text: str) -> Outcome:
    """The answer, sent to the citizen and kept for publication (Điều 10.3, 12)."""
    now = utc(now)
    ticket, track = await load(session, ticket_id, actor)
    text = required_text(text, "nội dung trả lời")
    if ticket.status == TicketStatus.NEW and actor.role in STAFF:
        pass  # the operator answers from the FAQ database (Điều 10.1)
    else:
        require_agency_officer(actor, track)
        status_in(ticket, OPEN_AT_AGENCY, "trả lời")
    track.answer = text
    track.answered_at = now
    track.answered_by_id = actor.user_id
    ticket.due_at = None
    move(session, ticket, actor, now, "answered", TicketStatus.ANSWERED, text=text, agency_id=track.agency_id)
    await record_ticket_event(session, ticket, "ticket.answered", now)  # outbound webhooks (issue 17)
    out = Outcome(ticket, track)
    role = SenderRole.AGENCY if actor.role == Role.AGENCY else SenderRole.OPERATOR
    said(
        out,
        await tell_citizen(session, ticket, Step.ANSWERED, now, text=text, user_id=actor.user_id, role=role),
    )
    return out


async def close(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, note: str | None = None
) -> Outcome:
    now = utc(now)
    require_role(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    status_in(ticket, (TicketStatus.ANSWERED, TicketStatus.REFUSED, TicketStatus.NEW), "đóng")
    ticket.due_at = None
    move(session, ticket, actor, now, "closed", TicketStatus.CLOSED, text=(note or "").strip() or None)
    return Outcome(ticket, track)


async def set_urgent(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, urgent: bool
) -> Outcome:
    """Mark an open ticket urgent, or clear the mark (Điều 13.2: urgent first); staff only, in
    the history; setting what is set changes nothing. A ticket at an agency: the agency is told
    at once (mailed too); its deadline stays (an urgent deadline is given at the forward)."""
    now = utc(now)
    require_role(actor, STAFF)
    ticket, track = await load(session, ticket_id, actor)
    status_in(ticket, NOT_FINAL, "đánh dấu khẩn" if urgent else "bỏ đánh dấu khẩn")
    out = Outcome(ticket, track)
    if urgent and not track.urgent and track.agency_id is not None and ticket.status in AT_AGENCY:
        add_notice(
            session,
            out,
            Role.AGENCY,
            "urgent",
            f"Phiếu {ticket.code} được đánh dấu KHẨN (Điều 13.2): đề nghị xử lý gấp, "
            f"hạn trả lời {format_time(as_utc(ticket.due_at))}",
            now,
            track.agency_id,
        )
    if bool(track.urgent) != urgent:
        track.urgent = urgent
        ticket.updated_at = now
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                user_id=actor.user_id,
                action="urgent_set" if urgent else "urgent_cleared",
                from_status=ticket.status,
                to_status=ticket.status,
                agency_id=track.agency_id,
                due_at=ticket.due_at,
            )
        )
    return out
