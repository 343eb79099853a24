"""A citizen looks up their request by its code (the code they were told "để tra cứu kết
quả"): its status, the handling agency, the due time, the progress notes and the answer.

* :func:`ticket_status_for_citizen`: what a citizen may see of a ticket, with no check at
  all (for a caller that knows who asks, e.g. the conversation the ticket came from);
* :func:`public_lookup`: the public page's lookup: the code and the last 4 digits of the
  phone given on the ticket, wrong guesses limited per code and per client address through
  ``public_attempts`` rows (shared by every hub process). Nothing else is written.

Independent of HTTP; time comes from the caller's clock.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.labels import TICKET_EVENT, label
from storage.clock import as_utc
from storage.models import Ticket
from storage.models_console import OPEN_AT_AGENCY, TicketEvent, TicketStatus, TicketTrack
from storage.models_public import PublicAttempt

CODE_RE = re.compile(r"^[0-9A-Z]{1,20}-\d{4}-\d{6}$")
# a ticket code in a free text ("mã phiếu 1022-2027-000042"), for chat lookups
CODE_IN_TEXT = re.compile(r"(?<![\w-])([0-9A-Za-z]{1,20}-\d{4}-\d{6})(?![\w-])")
SCOPE_CODE, SCOPE_ADDRESS = "lookup_code", "lookup_ip"
_LOCK = 1023  # PostgreSQL advisory lock class: (this, code hash) serialises one code's tries

# what the citizen sees of the history: these events, the text only of the first three
_TEXT_SHOWN = frozenset({"progress", "more_info", "refused"})
_SHOWN = _TEXT_SHOWN | {
    "received",
    "forwarded",
    "assigned",
    "call_transferred",
    "unclear",
    "phone_answered",
    "answered",
    "closed",
}


@dataclass(frozen=True)
class Note:
    at: datetime
    action: str
    label: str
    text: str | None = None
    due_at: datetime | None = None  # a new appointment (progress)


@dataclass(frozen=True)
class CitizenStatus:
    code: str
    status: str
    status_label: str
    agency: str | None
    domain: str | None
    received_at: datetime
    due_at: datetime | None  # while the agency handles it
    overdue: bool
    answer: str | None
    answered_at: datetime | None
    refusal_reason: str | None
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    per_code: int = 5  # wrong guesses on one code …
    per_address: int = 20  # … and from one client address …
    window: timedelta = timedelta(hours=1)  # … within this time


@dataclass(frozen=True)
class LookupOutcome:
    """``status`` when found; else ``error`` (Vietnamese), and ``retry_at`` when limited."""

    status: CitizenStatus | None = None
    error: str | None = None
    retry_at: datetime | None = None
    invalid: bool = False  # the form was not filled in properly (no attempt counted)


WRONG = "Mã phiếu hoặc 4 số cuối điện thoại không đúng"


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()


def codes_in(text_: str) -> list[str]:
    """The ticket codes a message mentions, normalised, in order, once each."""
    return list(dict.fromkeys(normalize_code(m) for m in CODE_IN_TEXT.findall(text_ or "")))


async def ticket_status_for_citizen(session: AsyncSession, code: str, now: datetime) -> CitizenStatus | None:
    """What a citizen may see of the ticket with this code (None: no such ticket). No
    check of who asks: the caller decides."""
    ticket = (
        await session.execute(select(Ticket).where(Ticket.code == normalize_code(code)))
    ).scalar_one_or_none()
    if ticket is None:
        return None
    track = await session.get(TicketTrack, ticket.id)
    events = (
        (
            await session.execute(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
            )
        )
        .scalars()
        .all()
    )
    notes = [
        Note(
            at=as_utc(e.at) or e.at,
            action=e.action,
            label=TICKET_EVENT.get(e.action, e.action),
            text=e.text if e.action in _TEXT_SHOWN else None,
            due_at=as_utc(e.due_at) if e.action == "progress" else None,
        )
        for e in events
        if e.action in _SHOWN
    ]
    at_agency = ticket.status in {s.value for s in OPEN_AT_AGENCY}
    due = as_utc(ticket.due_at) if at_agency else None
    answered = ticket.status in (TicketStatus.ANSWERED.value, TicketStatus.CLOSED.value)
    refused = ticket.status == TicketStatus.REFUSED.value
    return CitizenStatus(
        code=ticket.code,
        status=ticket.status,
        status_label=label("status", ticket.status),
        agency=ticket.agency,
        domain=ticket.domain,
        received_at=as_utc(ticket.created_at) or ticket.created_at,
        due_at=due,
        overdue=due is not None and due < now,
        answer=(track.answer if track is not None and answered else None),
        answered_at=as_utc(track.answered_at) if track is not None and answered else None,
        refusal_reason=track.refusal_reason if track is not None and refused else None,
        notes=notes,
    )


def last_digits(phone: str | None, n: int = 4) -> str | None:
    digits = "".join(c for c in (phone or "") if c.isdigit())
    return digits[-n:] if len(digits) >= n else None


async def _phones(session: AsyncSession, code: str) -> list[str]:
    row = (
        await session.execute(
            select(Ticket.contact_snapshot, TicketTrack.caller_phone)
            .outerjoin(TicketTrack, TicketTrack.ticket_id == Ticket.id)
            .where(Ticket.code == code)
        )
    ).first()
    if row is None:
        return []
    snap, caller = row
    return [p for p in ((snap or {}).get("phone"), caller) if p]


async def _failures(session: AsyncSession, scope: str, key: str, since: datetime) -> list[datetime]:
    rows = await session.execute(
        select(PublicAttempt.at)
        .where(PublicAttempt.scope == scope, PublicAttempt.key == key, PublicAttempt.at > since)
        .order_by(PublicAttempt.at)
    )
    return [a for a in (as_utc(r) for r in rows.scalars()) if a is not None]


def _retry_at(failures: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """When fewer than ``limit`` failures will be left in the window (None: now)."""
    if len(failures) < limit:
        return None
    return failures[len(failures) - limit] + window


async def public_lookup(
    session: AsyncSession,
    code: str,
    phone_last4: str,
    client: str | None,
    now: datetime,
    limits: Limits = Limits(),
) -> LookupOutcome:
    """The public lookup, in the caller's transaction: the ticket's status when ``code`` and
    the last 4 digits of a phone given on it match; a wrong pair is one failure for the code
    and one for the client address. While either has its limit of failures within the
    window, every try (a right one too) is refused with the time to try again."""
    code = normalize_code(code)
    digits = (phone_last4 or "").strip()
    if not CODE_RE.match(code) or not (len(digits) == 4 and digits.isdigit()):
        return LookupOutcome(
            error="Hãy nhập mã phiếu (ví dụ 1022-2027-000123) và đúng 4 chữ số", invalid=True
        )
    address = (client or "không rõ")[:200]
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(code.encode()).digest()[:4], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:k, :c)"), {"k": _LOCK, "c": key})
    since = now - limits.window
    waits = [
        _retry_at(await _failures(session, SCOPE_CODE, code, since), limits.per_code, limits.window),
        _retry_at(await _failures(session, SCOPE_ADDRESS, address, since), limits.per_address, limits.window),
    ]
    if blocked := [w for w in waits if w is not None]:
        return LookupOutcome(error="Bạn đã nhập sai quá nhiều lần", retry_at=max(blocked))
    if digits in {last_digits(p) for p in await _phones(session, code)}:
        return LookupOutcome(status=await ticket_status_for_citizen(session, code, now))
    session.add_all(
        [
            PublicAttempt(scope=SCOPE_CODE, key=code, at=now),
            PublicAttempt(scope=SCOPE_ADDRESS, key=address, at=now),
        ]
    )
    await _purge(session, now - 2 * limits.window)
    return LookupOutcome(error=WRONG)


async def _purge(session: AsyncSession, before: datetime) -> None:
    """Failures older than any window are worth nothing: removed as new ones come."""
    await session.execute(
        delete(PublicAttempt).where(
            PublicAttempt.scope.in_((SCOPE_CODE, SCOPE_ADDRESS)), PublicAttempt.at < before
        )
    )


async def failures_count(session: AsyncSession, scope: str, key: str) -> int:
    """How many failures are kept for this key (for the tests and the operators)."""
    return int(
        (
            await session.execute(
                select(func.count()).where(PublicAttempt.scope == scope, PublicAttempt.key == key)
            )
        ).scalar_one()
    )
