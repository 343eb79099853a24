"""The ticket workflow's outbound webhook events (issue 17): :func:`record_ticket_event`
writes the event and one delivery per subscribed active endpoint in the caller's
transaction (a transactional outbox: the event exists if and only if the ticket's change
committed). The worker (:mod:`bot.webhook_worker`) delivers them.

The payload carries what the public lookup shows of a ticket: its code, status, agency,
domain and times; a progress note and the answer with the citizen's personal data masked
(:mod:`handoff.masking`). The citizen's name, phone, e-mail, address and the request's
text are never sent: a receiver with the ``tickets:read`` scope reads the ticket by code.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handoff.masking import PersonalData, mask_answer
from handoff.webhook_delivery import queue_deliveries
from storage.clock import as_utc
from storage.models import Ticket
from storage.models_console import TicketTrack
from storage.models_webhooks import EVENT_TYPES, WebhookEvent

MASKED_EXTRAS = frozenset({"text", "answer", "note"})  # free texts: masked like the answer


def _iso(value: datetime | None) -> str | None:
    when = as_utc(value)
    return when.isoformat().replace("+00:00", "Z") if when is not None else None


def _known(ticket: Ticket, track: TicketTrack | None) -> PersonalData:
    snap = ticket.contact_snapshot or {}
    return PersonalData.of(
        names=[snap.get("full_name"), snap.get("display_name"), track.caller_name if track else None],
        phones=[snap.get("phone"), track.caller_phone if track else None],
        emails=[snap.get("email")],
        addresses=[snap.get("address")],
        texts=[ticket.content],
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def ticket_payload(ticket: Ticket, track: TicketTrack | None, **extra: Any) -> dict[str, Any]:
    """The ``ticket`` object of an event: no personal data, free texts masked."""
    known = _known(ticket, track)
    data: dict[str, Any] = {
        "code": ticket.code,
        "status": ticket.status,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "domain": ticket.domain,
        "agency": ticket.agency,
        "urgent": bool(track.urgent) if track is not None else False,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "due_at": _iso(ticket.due_at),
        "forwarded_at": _iso(track.forwarded_at) if track else None,
        "answered_at": _iso(track.answered_at) if track else None,
        "answer": mask_answer(track.answer, known) if track is not None and track.answer else None,
    }
    for key, value in extra.items():
        data[key] = (
            mask_answer(value, known) if key in MASKED_EXTRAS and isinstance(value, str) else _plain(value)
        )
    return data


async def record_ticket_event(
    s: AsyncSession, ticket: Ticket, event_type: str, now: datetime, **extra: Any
) -> WebhookEvent:
    """Write ``event_type`` of ``ticket`` and its deliveries in the caller's transaction;
    ``extra``: more fields of the event's ``ticket`` object (a progress note's ``text``
    and ``appointment_at``, the ``due_at`` an overdue ticket missed)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    await s.flush()  # the ticket's id and the changes made so far
    track = await s.get(TicketTrack, ticket.id)
    event = WebhookEvent(event_type=event_type, ticket_id=ticket.id, payload={}, created_at=as_utc(now))
    s.add(event)
    await s.flush()
    event.payload = {
        "id": event.id,
        "type": event_type,
        "created_at": _iso(now),
        "ticket": ticket_payload(ticket, track, **extra),
    }
    await queue_deliveries(s, event, now)
    return event
