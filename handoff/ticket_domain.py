"""A ticket's domain (lĩnh vực, Điều 5), which the statistics and the records (Điều 11.1)
count by. The rule:

1. An operator who opens a ticket or logs a call picks the domain (the console's form).
2. A ticket the bot opened has none yet: the bot cannot know it (its FAQ had no answer for
   the matter, or the citizen asked for a person), and a guess would put wrong figures in
   the reports. It is set at the forward (or the supervisor's assignment):
   - the domain the operator names in the forward (``domain_id``), else
   - the one active domain the receiving agency owns, when it owns exactly one (a ticket
     sent to Sở Giao thông vận tải is a transport matter); an agency with several domains,
     or none (the districts), leaves it empty.
3. A ticket that never reaches an agency (answered or refused at once) may keep an empty
   domain (null in the ticket list and the records).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.workflow_base import WorkflowError
from storage.models import Ticket
from storage.models_console import Domain, TicketTrack


async def domain_at_forward(
    session: AsyncSession, ticket: Ticket, track: TicketTrack, agency_id: int, domain_id: int | None
) -> Domain | None:
    """Set the ticket's domain by the rule above, in the caller's transaction; the domain set
    now, or None (unchanged). An unknown ``domain_id`` is a :class:`WorkflowError` (400)."""
    if domain_id:
        domain = await session.get(Domain, domain_id)
        if domain is None:
            raise WorkflowError("Lĩnh vực không tồn tại", 400)
    elif track.domain_id is not None:
        return None
    else:
        owned = (
            (
                await session.execute(
                    select(Domain).where(Domain.agency_id == agency_id, Domain.active.is_(True)).limit(2)
                )
            )
            .scalars()
            .all()
        )
        if len(owned) != 1:
            return None
        domain = owned[0]
    track.domain_id = domain.id
    ticket.domain = domain.name
    return domain
