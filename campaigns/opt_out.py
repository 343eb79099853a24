"""Opt-out: a citizen who wrote "hủy đăng ký" / "dừng nhận tin" receives no more
announcements on that channel identity. The one writer of ``campaign_opt_outs``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import dialect_insert
from storage.models_campaigns import CampaignOptOut


async def opt_out(s: AsyncSession, identity_id: int, now: datetime) -> bool:
    """Record the identity's opt-out in the caller's transaction; True when it is new
    (a repeated request, or two at once, records it once)."""
    inserted = await s.execute(
        dialect_insert(s, CampaignOptOut)
        .values(identity_id=identity_id, at=now)
        .on_conflict_do_nothing(index_elements=["identity_id"])
        .returning(CampaignOptOut.id)
    )
    return inserted.scalar_one_or_none() is not None


async def is_opted_out(s: AsyncSession, identity_id: int) -> bool:
    found = await s.execute(select(CampaignOptOut.id).where(CampaignOptOut.identity_id == identity_id))
    return found.scalar_one_or_none() is not None


async def opt_back_in(s: AsyncSession, identity_id: int) -> bool:
    """Undo an opt-out (the citizen subscribes again); True when there was one."""
    row = (
        await s.execute(select(CampaignOptOut).where(CampaignOptOut.identity_id == identity_id))
    ).scalar_one_or_none()
    if row is None:
        return False
    await s.delete(row)
    return True
