"""Publishing answered tickets on the public portal (Điều 12), the one owner of
``published_answers`` and of a ticket's ``no_publish`` wish.

* :func:`preview`: the question and the answer with personal data masked
  (:mod:`handoff.masking`), for the officer to review and edit;
* :func:`publish`: the reviewed text goes public (again, after a withdrawal; or edited, with
  the same id and URL); refused while it still holds the ticket's own phone, name, ID
  number, e-mail or house address;
* :func:`withdraw`: no longer public;
* :func:`set_no_publish`: the citizen asked not to be published (a published answer is
  withdrawn at once); cleared when they change their mind.

Who: publishing and withdrawing are for the ticket's agency officer, the supervisor and
the admin; the wish is recorded by whoever sees the ticket (the operator who took the call,
the agency officer). Every change writes a ticket event. In the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.loaders import load
from handoff.masking import PersonalData, leaks, mask, mask_answer
from handoff.workflow_base import Actor, PermissionDenied, WorkflowError, is_agency_officer, utc
from storage.models import Contact, Ticket
from storage.models_console import TicketEvent, TicketStatus, TicketTrack
from storage.models_public import PublishedAnswer
from storage.search import fold

MAX_TEXT = 20_000  # characters of a published question or answer

WITHDRAWN = "publication_withdrawn"  # the ticket event of a withdrawal


@dataclass(frozen=True)
class Preview:
    """What would be published: the masked texts and what the entry shows beside them."""

    question: str
    answer: str
    domain: str | None
    agency: str | None
    asked_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class State:
    """A ticket's publication as the ticket page shows it."""

    no_publish: bool
    can_publish: bool  # this actor, this ticket, now
    reason: str | None  # why not, in Vietnamese (None when it can)
    published: PublishedAnswer | None  # the entry, withdrawn or not


def _answered(ticket: Ticket, track: TicketTrack) -> bool:
    """Answered (and maybe closed since): there is an answer to publish."""
    done = ticket.status in (TicketStatus.ANSWERED.value, TicketStatus.CLOSED.value)
    return done and bool((track.answer or "").strip())


def _why_not(actor: Actor, ticket: Ticket, track: TicketTrack) -> str | None:
    if not is_agency_officer(actor, track):
        return "Chỉ cán bộ đầu mối của đơn vị trả lời, Sở TT&TT hoặc quản trị mới công khai được câu trả lời"
    if not _answered(ticket, track):
        return "Chỉ công khai được phiếu đã trả lời"
    if track.no_publish:
        return "Công dân không muốn công khai yêu cầu này"
    return None


def _require(actor: Actor, ticket: Ticket, track: TicketTrack) -> None:
    reason = _why_not(actor, ticket, track)
    if reason is None:
        return
    if not is_agency_officer(actor, track):
        raise PermissionDenied(reason)
    raise WorkflowError(reason, 409)


async def personal_data(session: AsyncSession, ticket: Ticket, track: TicketTrack) -> PersonalData:
    """What the ticket knows of its citizen: the names, phones, e-mail and address given
    (on the ticket and on the contact now), and what the request's own text holds."""
    snap = ticket.contact_snapshot or {}
    contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    people = [snap, *([_contact_fields(contact)] if contact is not None else [])]
    return PersonalData.of(
        names=[*(p.get(k) for p in people for k in ("full_name", "display_name")), track.caller_name],
        phones=[*(p.get("phone") for p in people), track.caller_phone],
        emails=[p.get("email") for p in people],
        addresses=[p.get("address") for p in people],
        texts=[ticket.content],
    )


def _contact_fields(contact: Contact) -> dict[str, str | None]:
    return {
        "full_name": contact.full_name,
        "display_name": contact.display_name,
        "phone": contact.phone,
        "email": contact.email,
        "address": contact.address,
    }


async def _entry(session: AsyncSession, ticket_id: int) -> PublishedAnswer | None:
    return (
        await session.execute(select(PublishedAnswer).where(PublishedAnswer.ticket_id == ticket_id))
    ).scalar_one_or_none()


async def state(session: AsyncSession, ticket_id: int, actor: Actor) -> State:
    ticket, track = await load(session, ticket_id, actor, lock=False)
    reason = _why_not(actor, ticket, track)
    return State(bool(track.no_publish), reason is None, reason, await _entry(session, ticket_id))


async def preview(session: AsyncSession, ticket_id: int, actor: Actor) -> Preview:
    """The question and answer masked, for review; the published text, when there is one,
    is what the officer edits instead (it was reviewed already)."""
    ticket, track = await load(session, ticket_id, actor, lock=False)
    _require(actor, ticket, track)
    known = await personal_data(session, ticket, track)
    entry = await _entry(session, ticket_id)
    if entry is not None:
        question, answer = entry.question, entry.answer
    else:
        question, answer = mask(ticket.content, known), mask_answer(track.answer or "", known)
    return Preview(question, answer, ticket.domain, ticket.agency, ticket.created_at, track.answered_at)


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise WorkflowError(f"Cần nhập {what}", 400)
    if len(value) > MAX_TEXT:
        raise WorkflowError(f"{what[0].upper()}{what[1:]} quá dài (tối đa {MAX_TEXT} ký tự)", 400)
    return value


def _event(
    session: AsyncSession, ticket: Ticket, track: TicketTrack, actor: Actor, now: datetime, action: str
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            user_id=actor.user_id,
            action=action,
            from_status=ticket.status,
            to_status=ticket.status,
            agency_id=track.agency_id,
            due_at=ticket.due_at,
        )
    )


async def publish(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, question: str, answer: str
) -> PublishedAnswer:
    """Publish the reviewed ``question`` and ``answer`` (400 while they hold the ticket's own
    personal data); publishing again updates the entry, which keeps its id."""
    now = utc(now)
    ticket, track = await load(session, ticket_id, actor)
    _require(actor, ticket, track)
    question, answer = _text(question, "câu hỏi"), _text(answer, "câu trả lời")
    known = await personal_data(session, ticket, track)
    for what, text in (("Câu hỏi", question), ("Câu trả lời", answer)):
        if found := leaks(text, known):
            raise WorkflowError(
                f"{what} còn chứa {', '.join(found)} của người yêu cầu; hãy che đi trước khi công khai", 400
            )
    entry = await _entry(session, ticket_id)
    if entry is None:
        entry = PublishedAnswer(ticket_id=ticket.id, published_at=now)
        session.add(entry)
    elif entry.withdrawn_at is not None:
        entry.published_at = now
    entry.question, entry.answer = question, answer
    entry.domain, entry.agency = ticket.domain, ticket.agency
    entry.asked_at, entry.answered_at = ticket.created_at, track.answered_at
    entry.published_by_id = actor.user_id
    entry.withdrawn_at = None
    entry.search_text = fold(" ".join(x for x in (question, answer, ticket.domain, ticket.agency) if x))
    entry.updated_at = now
    action = "published"
    _event(session, ticket, track, actor, now, action)
    await session.flush()
    return entry


async def withdraw(session: AsyncSession, ticket_id: int, actor: Actor, now: datetime) -> PublishedAnswer:
    """Take a published answer down (it keeps its row; publishing again restores its URL)."""
    now = utc(now)
    ticket, track = await load(session, ticket_id, actor)
    if not is_agency_officer(actor, track):
        raise PermissionDenied(
            "Chỉ cán bộ đầu mối của đơn vị trả lời, Sở TT&TT hoặc quản trị mới gỡ được câu trả lời"
        )
    entry = await _entry(session, ticket_id)
    if entry is None or entry.withdrawn_at is not None:
        raise WorkflowError("Câu trả lời của phiếu này không được công khai", 409)
    _take_down(entry, now)
    action = "publication_withdrawn"
    _event(session, ticket, track, actor, now, action)
    return entry


def _take_down(entry: PublishedAnswer, now: datetime) -> None:
    entry.withdrawn_at = now
    entry.updated_at = now


async def set_no_publish(
    session: AsyncSession, ticket_id: int, actor: Actor, now: datetime, wish: bool
) -> TicketTrack:
    """Record the citizen's wish not to be published (or its end); a published answer is
    withdrawn with it. Whoever sees the ticket may record it; setting what is set changes
    nothing."""
    now = utc(now)
    ticket, track = await load(session, ticket_id, actor)
    if bool(track.no_publish) == wish:
        return track
    track.no_publish = wish
    ticket.updated_at = now
    action = "no_publish_set" if wish else "no_publish_cleared"
    _event(session, ticket, track, actor, now, action)
    entry = await _entry(session, ticket_id)
    if wish and entry is not None and entry.withdrawn_at is None:
        _take_down(entry, now)
        _event(session, ticket, track, actor, now, WITHDRAWN)
    return track
