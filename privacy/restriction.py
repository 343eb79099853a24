"""Processing restricted or objected to (Law 91/2025/QH15): the ONE writer of
``contact_restrictions``. A restricted contact's messages go to an operator, never to the
bot (:mod:`bot.data_request_reply`), and it is skipped by every broadcast
(:mod:`campaigns.audience`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_privacy import ContactRestriction

KINDS = ("restrict", "object")


async def active(s: AsyncSession, contact_id: int) -> ContactRestriction | None:
    q = (
        select(ContactRestriction)
        .where(ContactRestriction.contact_id == contact_id, ContactRestriction.lifted_at.is_(None))
        .order_by(ContactRestriction.id)
        .limit(1)
    )
    return (await s.execute(q)).scalar_one_or_none()


async def is_restricted(s: AsyncSession, contact_id: int) -> bool:
    return await active(s, contact_id) is not None


async def restrict(
    s: AsyncSession, contact_id: int, kind: str, now: datetime, *, request_id: int | None = None
) -> ContactRestriction:
    """Set the flag (idempotent: an active one is returned as it is)."""
    if kind not in KINDS:
        raise ValueError(f"not a restriction kind: {kind}")
    found = await active(s, contact_id)
    if found is not None:
        return found
    row = ContactRestriction(contact_id=contact_id, kind=kind, request_id=request_id, since=now)
    s.add(row)
    await s.flush()
    return row


async def lift(s: AsyncSession, contact_id: int, now: datetime, by: str) -> bool:
    """Lift the active restriction; False when there was none."""
    found = await active(s, contact_id)
    if found is None:
        return False
    found.lifted_at, found.lifted_by = now, by
    return True
