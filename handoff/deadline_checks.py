"""The deadline checks over stored tickets: the flag a ticket list shows, the Điều 10.3
breach, and :func:`check_deadlines`, the periodic scan that tells staff (never a timer)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.calendar import WorkingCalendar
from handoff.deadlines import ANSWER_WITHIN, DeadlineState, deadline_state, working_time_between
from handoff.notify import format_time
from handoff.webhook_events import record_ticket_event
from handoff.workflow_base import Outcome, add_notice, utc
from storage.clock import as_utc
from storage.models import Ticket
from storage.models_console import OPEN_AT_AGENCY, Notification, Role, TicketEvent, TicketTrack


def deadline_flag(ticket: Ticket, now: datetime, calendar: WorkingCalendar) -> str | None:
    """``approaching`` / ``overdue`` / ``on_time`` for an open ticket with a deadline."""
    due = as_utc(ticket.due_at)
    if due is None or ticket.status not in {s.value for s in OPEN_AT_AGENCY}:
        return None
    return deadline_state(now, due, calendar).value


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """In SQL, the tickets :func:`deadline_flag` calls ``overdue`` at ``now``: open at an
    agency with a deadline that has passed (a new, unclear or final ticket has none)."""
    return and_(
        Ticket.status.in_([s.value for s in OPEN_AT_AGENCY]),
        Ticket.due_at.is_not(None),
        Ticket.due_at < utc(now),
    )


def is_breach(track: TicketTrack, now: datetime) -> bool:
    """Điều 10.3: 8 working hours passed since the forward without answer or progress update."""
    due = as_utc(track.answer_due_at)
    if due is None or track.answered_at is not None or track.phone_answered_at is not None:
        return False
    progressed = as_utc(track.last_progress_at)
    return now > due and (progressed is None or progressed > due)


async def check_deadlines(
    session: AsyncSession, now: datetime, calendar: WorkingCalendar
) -> list[Notification]:
    """One scan over stored tickets (run periodically; idempotent): warn the agency once per
    deadline when it is approaching (≤ 2 working hours left, the console's ``approaching``),
    tell the supervisor and the agency about overdue tickets once per deadline, and flag
    Điều 10.3 breaches. The rows are locked, so two hub workers scanning at once tell once."""
    now = utc(now)
    rows = await session.execute(
        select(Ticket, TicketTrack)
        .join(TicketTrack, TicketTrack.ticket_id == Ticket.id)
        .where(Ticket.status.in_([s.value for s in OPEN_AT_AGENCY]), Ticket.due_at.is_not(None))
        .with_for_update()
    )
    notes: list[Notification] = []
    for ticket, track in rows.all():
        out = Outcome(ticket, track)
        due = as_utc(ticket.due_at)
        assert due is not None
        if as_utc(track.approaching_notified_for) != due and now <= due:
            if deadline_state(now, due, calendar) == DeadlineState.APPROACHING:
                track.approaching_notified_for = due
                add_notice(
                    session,
                    out,
                    Role.AGENCY,
                    "approaching",
                    f"Phiếu {'KHẨN ' if track.urgent else ''}{ticket.code} sắp đến hạn trả lời "
                    f"({format_time(due)})",
                    now,
                    track.agency_id,
                )
        if now > due and as_utc(track.overdue_notified_for) != due:
            track.overdue_notified_for = due
            add_notice(
                session,
                out,
                Role.SUPERVISOR,
                "overdue",
                f"Phiếu {ticket.code} ({ticket.agency}) quá hạn từ {format_time(due)}",
                now,
            )
            add_notice(
                session,
                out,
                Role.AGENCY,
                "overdue",
                f"Phiếu {ticket.code} đã quá hạn ({format_time(due)})",
                now,
                track.agency_id,
            )
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=now,
                    user_id=None,
                    action="overdue",
                    from_status=ticket.status,
                    to_status=ticket.status,
                    agency_id=track.agency_id,
                    due_at=due,
                )
            )
            await record_ticket_event(session, ticket, "ticket.overdue", now, missed_due_at=due)  # issue 17
        if track.breach_at is None and is_breach(track, now):
            track.breach_at = as_utc(track.answer_due_at)
            add_notice(
                session,
                out,
                Role.SUPERVISOR,
                "breach",
                f"Phiếu {ticket.code}: quá {int(ANSWER_WITHIN.total_seconds() // 3600)} giờ làm việc "
                "chưa trả lời, chưa cập nhật tiến độ (vi phạm Điều 10.3)",
                now,
            )
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=now,
                    user_id=None,
                    action="breach",
                    from_status=ticket.status,
                    to_status=ticket.status,
                    agency_id=track.agency_id,
                    due_at=track.answer_due_at,
                )
            )
        notes.extend(out.notifications)
    return notes


def remaining_working_time(ticket: Ticket, now: datetime, calendar: WorkingCalendar) -> timedelta | None:
    due = as_utc(ticket.due_at)
    return None if due is None else working_time_between(now, due, calendar)
