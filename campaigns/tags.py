"""Tags on contacts (an audience of a campaign). The one writer of ``contact_tags``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.errors import CampaignError
from campaigns.rules import LIMITS
from storage.dialect import dialect_insert
from storage.models_campaigns import ContactTag


def clean_tag(raw: str) -> str:
    tag = " ".join(raw.split()).lower()  # one tag whatever its case
    if not tag or len(tag) > LIMITS["tag"]:
        raise CampaignError(f"Nhãn phải khác rỗng, tối đa {LIMITS['tag']} ký tự")
    return tag


async def set_tags(s: AsyncSession, contact_id: int, tags: Iterable[str], now: datetime) -> list[str]:
    """Make the contact's tags exactly ``tags`` (in the caller's transaction); the tags kept."""
    wanted = sorted({clean_tag(t) for t in tags})
    await s.execute(
        delete(ContactTag).where(ContactTag.contact_id == contact_id, ContactTag.tag.notin_(wanted))
    )
    for tag in wanted:
        await s.execute(
            dialect_insert(s, ContactTag)
            .values(contact_id=contact_id, tag=tag, created_at=now)
            .on_conflict_do_nothing(index_elements=["contact_id", "tag"])
        )
    return wanted


async def tags_of(s: AsyncSession, contact_id: int) -> list[str]:
    rows = await s.execute(
        select(ContactTag.tag).where(ContactTag.contact_id == contact_id).order_by(ContactTag.tag)
    )
    return list(rows.scalars())
