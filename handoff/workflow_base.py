"""What the parts of the ticket workflow share: its errors, the actor and the outcome of a
transition, who may see or act on a ticket, the status labels, and the steps every
transition is made of (check the status, move it with its history event, notify staff).

The transitions are in :mod:`handoff.transitions`, the loading of a ticket for them in
:mod:`handoff.loaders`, the periodic deadline scan in :mod:`handoff.deadline_checks`;
:mod:`handoff.workflow` is the public face of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handoff.labels import STATUS
from storage.models import Message, Ticket
from storage.models_console import Notification, Role, TicketEvent, TicketStatus, TicketTrack

STAFF = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
OVERSIGHT = (Role.SUPERVISOR, Role.ADMIN)


class WorkflowError(Exception):
    """A transition that is not allowed now (HTTP 409) or bad input (HTTP 400)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


class PermissionDenied(WorkflowError):
    """The actor may not see or act on this ticket (HTTP 403)."""

    def __init__(self, message: str = "Bạn không có quyền với phiếu này") -> None:
        super().__init__(message, 403)


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    role: Role
    agency_id: int | None = None
    username: str = ""


SYSTEM_ACTOR = Actor(user_id=None, role=Role.ADMIN, username="system")


@dataclass
class Outcome:
    ticket: Ticket
    track: TicketTrack
    messages: list[Message] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


# ---------------------------------------------------------------------------- access


def can_view(actor: Actor, track: TicketTrack) -> bool:
    """Agency officers see only their agency's tickets; staff see all."""
    if actor.role == Role.AGENCY:
        return actor.agency_id is not None and track.agency_id == actor.agency_id
    return True


def require_role(actor: Actor, roles: tuple[Role, ...]) -> None:
    if actor.role not in roles:
        raise PermissionDenied("Vai trò của bạn không được thực hiện thao tác này")


def is_agency_officer(actor: Actor, track: TicketTrack) -> bool:
    """The ticket's agency officer, or oversight."""
    if actor.role in OVERSIGHT:
        return True
    return actor.role == Role.AGENCY and track.agency_id is not None and track.agency_id == actor.agency_id


def require_agency_officer(actor: Actor, track: TicketTrack) -> None:
    """Answer/progress/send back: the ticket's agency officer (or oversight)."""
    if not is_agency_officer(actor, track):
        raise PermissionDenied("Chỉ cán bộ đầu mối của đơn vị được giao mới xử lý phiếu này")


def utc(value: datetime) -> datetime:
    """Stored instants are UTC (SQLite keeps no offset)."""
    if value.tzinfo is None:
        raise WorkflowError("Thời điểm phải có múi giờ", 400)
    return value.astimezone(UTC)


# ---------------------------------------------------------------------------- steps of a transition


def required_text(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise WorkflowError(f"Cần nhập {what}", 400)
    return value


def move(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    now: datetime,
    action: str,
    to: TicketStatus,
    *,
    text: str | None = None,
    agency_id: int | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            user_id=actor.user_id,
            action=action,
            from_status=ticket.status,
            to_status=to.value,
            agency_id=agency_id,
            text=text,
            due_at=ticket.due_at,
        )
    )
    ticket.status = to.value
    ticket.updated_at = now


def status_in(ticket: Ticket, allowed: tuple[TicketStatus, ...], what: str) -> None:
    if ticket.status not in {s.value for s in allowed}:
        raise WorkflowError(
            f"Không thể {what} phiếu đang ở trạng thái {STATUS_LABELS.get(ticket.status, ticket.status)}"
        )


def add_notice(
    session: AsyncSession,
    out: Outcome,
    role: Role,
    kind: str,
    text: str,
    now: datetime,
    agency_id: int | None = None,
) -> None:
    n = Notification(
        role=role.value,
        agency_id=agency_id,
        ticket_id=out.ticket.id,
        kind=kind,
        text=text,
        read=False,
        created_at=now,
    )
    session.add(n)
    out.notifications.append(n)


def said(out: Outcome, msg: Message | None) -> None:
    if msg is not None:
        out.messages.append(msg)


STATUS_LABELS: dict[str, str] = STATUS  # the one translation table: handoff.labels
