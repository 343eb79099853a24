"""Loading a ticket for a transition: locked, and checked to be the actor's to see or act on."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handoff.workflow_base import Actor, PermissionDenied, WorkflowError, can_view, require_agency_officer
from storage.models import Ticket
from storage.models_console import TicketTrack


async def load(
    session: AsyncSession, ticket_id: int, actor: Actor, *, lock: bool = True
) -> tuple[Ticket, TicketTrack]:
    ticket = await session.get(Ticket, ticket_id, with_for_update=lock)
    track = await session.get(TicketTrack, ticket_id)
    if ticket is None or track is None:
        raise WorkflowError("Không tìm thấy phiếu", 404)
    if not can_view(actor, track):
        raise PermissionDenied()
    return ticket, track


async def load_for_officer(session: AsyncSession, ticket_id: int, actor: Actor) -> tuple[Ticket, TicketTrack]:
    """A ticket an agency officer acts on: loaded (and locked) and checked to be theirs."""
    ticket, track = await load(session, ticket_id, actor)
    require_agency_officer(actor, track)
    return ticket, track
