"""The console's ticket list: a ticket as JSON (:func:`ticket_dict`) and the list's filters
(:func:`list_filters`, :func:`find_tickets`), all in SQL, scoped by role (an agency officer
sees only their agency's tickets, whatever the filters say).

``GET /console/api/tickets`` query parameters, all optional and combined with AND:

* ``status``: ``open`` (at an agency), or one status or several separated by commas;
* ``agency_id``: the agency the ticket is forwarded to;
* ``domain``: a domain (lĩnh vực) id;
* ``overdue=1``: at an agency with its deadline passed (what the list flags ``overdue``);
* ``urgent=1`` (or ``0``): marked urgent (or not);
* ``q``: words found in the code, the content, or the citizen's name or phone, without
  regard to diacritics or case ("nguyen van a" finds "Nguyễn Văn A"), through the folded
  ``tickets.search_text`` column (:mod:`storage.search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.core import state_of
from handoff import workflow as wf
from storage.clock import as_utc
from storage.models import Ticket
from storage.models_console import Domain, Role, TicketTrack, User
from storage.search import like_pattern

_Row = tuple[Ticket, TicketTrack, int | None]
LIST_LIMIT = 500  # tickets in one answer; ``truncated`` says when more matched
TRUE, FALSE = ("1", "true"), ("0", "false")


def iso(value: datetime | None) -> str | None:
    v = as_utc(value)
    return v.isoformat() if v else None


def citizen_name(t: Ticket, tr: TicketTrack) -> str | None:
    """Who the ticket is for: the caller of a logged call, else the contact's full name or
    the name the channel gave."""
    snap = t.contact_snapshot or {}
    for name in (tr.caller_name, snap.get("full_name"), snap.get("display_name")):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


def ticket_dict(
    t: Ticket, tr: TicketTrack, now: datetime, request: web.Request, domain_agency_id: int | None = None
) -> dict[str, Any]:
    """A ticket as the console reads it. ``domain_agency_id``: the default agency of the
    ticket's domain (``Domain.agency_id``), for the forward form to pre-select."""
    cal = state_of(request).calendar
    return {
        "id": t.id,
        "code": t.code,
        "status": t.status,
        "status_label": wf.STATUS_LABELS.get(t.status, t.status),
        "kind": t.kind,
        "channel": t.channel,
        "content": t.content,
        "contact": t.contact_snapshot or {},
        "citizen_name": citizen_name(t, tr),
        "domain": t.domain,
        "domain_id": tr.domain_id,
        "domain_agency_id": domain_agency_id,
        "agency": t.agency,
        "agency_id": tr.agency_id,
        "conversation_id": t.conversation_id,
        "urgent": bool(tr.urgent),
        "created_at": iso(t.created_at),
        "forwarded_at": iso(tr.forwarded_at),
        "due_at": iso(t.due_at),
        "deadline": wf.deadline_flag(t, now, cal),
        "breach": tr.breach_at is not None or wf.is_breach(tr, now),
        "appointment_at": iso(tr.appointment_at),
        "answer": tr.answer,
        "refusal_reason": tr.refusal_reason,
        "caller_name": tr.caller_name,
        "caller_phone": tr.caller_phone,
        "call_answer": tr.call_answer,
        "forward_note": tr.forward_note,
    }


@dataclass(frozen=True)
class ListFilters:
    status: str = ""
    agency_id: int | None = None
    domain_id: int | None = None
    overdue: bool = False
    urgent: bool | None = None
    q: str = ""


def _id_param(query: Any, key: str) -> int | None:
    raw = query.get(key, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise wf.WorkflowError(f"Tham số {key} phải là một số", 400)
    return int(raw)


def _flag_param(query: Any, key: str) -> bool | None:
    raw = query.get(key, "").strip().lower()
    if not raw:
        return None
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise wf.WorkflowError(f"Tham số {key} phải là 1 hoặc 0", 400)


def list_filters(request: web.Request) -> ListFilters:
    """The list's filters from the query string (400 on a malformed one)."""
    query = request.query
    return ListFilters(
        status=query.get("status", "").strip(),
        agency_id=_id_param(query, "agency_id"),
        domain_id=_id_param(query, "domain"),
        overdue=_flag_param(query, "overdue") is True,
        urgent=_flag_param(query, "urgent"),
        q=query.get("q", ""),
    )


def _filtered(
    q: Select[Ticket, TicketTrack, int | None], user: User, f: ListFilters, now: datetime
) -> Select[Ticket, TicketTrack, int | None]:
    if user.role == Role.AGENCY:
        q = q.where(TicketTrack.agency_id == user.agency_id)  # role scoping
    if f.status == "open":
        q = q.where(Ticket.status.in_([s.value for s in wf.OPEN_AT_AGENCY]))
    elif f.status:
        q = q.where(Ticket.status.in_(f.status.split(",")))
    if f.agency_id is not None:
        q = q.where(TicketTrack.agency_id == f.agency_id)
    if f.domain_id is not None:  # the domain's id; a ticket stored with only its name matches too
        name = select(Domain.name).where(Domain.id == f.domain_id).scalar_subquery()
        q = q.where(
            or_(
                TicketTrack.domain_id == f.domain_id,
                and_(TicketTrack.domain_id.is_(None), Ticket.domain == name),
            )
        )
    if f.overdue:
        q = q.where(wf.overdue_clause(now))
    if f.urgent is not None:
        q = q.where(TicketTrack.urgent.is_(f.urgent))
    if (pattern := like_pattern(f.q)) is not None:
        q = q.where(Ticket.search_text.like(pattern, escape="\\"))
    return q


def tickets_query(user: User, f: ListFilters, now: datetime) -> Select[Ticket, TicketTrack, int | None]:
    """The list's query: the tickets ``user`` may see that match ``f``, each with the default
    agency of its domain; urgent first, then by deadline, newest first."""
    q = (
        select(Ticket, TicketTrack, Domain.agency_id)
        .join(TicketTrack, TicketTrack.ticket_id == Ticket.id)
        .outerjoin(Domain, Domain.id == TicketTrack.domain_id)
    )
    return _filtered(q, user, f, now).order_by(
        TicketTrack.urgent.desc(), Ticket.due_at.asc().nulls_last(), Ticket.id.desc()
    )


async def find_tickets(s: AsyncSession, user: User, f: ListFilters, now: datetime) -> tuple[list[_Row], bool]:
    """:func:`tickets_query`'s first :data:`LIST_LIMIT` rows, and whether more matched."""
    q = tickets_query(user, f, now).limit(LIST_LIMIT + 1)
    rows: list[_Row] = [(t, tr, a) for t, tr, a in (await s.execute(q)).all()]
    return rows[:LIST_LIMIT], len(rows) > LIST_LIMIT


async def domain_agency_of(s: AsyncSession, tr: TicketTrack) -> int | None:
    """The default agency of the ticket's domain, if it has one."""
    domain = await s.get(Domain, tr.domain_id) if tr.domain_id is not None else None
    return domain.agency_id if domain is not None else None
