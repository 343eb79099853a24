"""Resynchronise the local follower flags (``ChannelIdentity.following``, fed by the
follow/unfollow webhooks) from the channel's follower list: page through it with the
connector (no database there), then in one transaction mark every listed id following
(creating the identities we never saw) and every other identity of the channel not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.errors import CampaignError
from connectors.broadcast import Broadcaster, BroadcastError
from storage.models import ChannelIdentity
from storage.record.ingest import identity_for

PAGE = 50  # Zalo: count ≤ 50
MAX_FOLLOWERS = 1_000_000  # a runaway paging stops here


@dataclass(frozen=True)
class Resync:
    listed: int
    created: int
    now_following: int
    no_longer_following: int


async def follower_ids(broadcaster: Broadcaster) -> list[str]:
    """Every follower id the channel lists, page after page."""
    ids: list[str] = []
    offset: int | None = 0
    try:
        while offset is not None and len(ids) < MAX_FOLLOWERS:
            page = await broadcaster.followers(offset=offset, count=PAGE)
            ids.extend(page.user_ids)
            offset = page.next_offset if page.user_ids else None
    except BroadcastError as err:
        raise CampaignError(f"Không lấy được danh sách người quan tâm: {err}", 502) from err
    return list(dict.fromkeys(ids))


async def apply(s: AsyncSession, channel: str, ids: list[str], now: datetime) -> Resync:
    """Set the flags from the listed ids, in the caller's transaction."""
    listed = set(ids)
    known = dict(
        (
            await s.execute(
                select(ChannelIdentity.external_id, ChannelIdentity.following).where(
                    ChannelIdentity.channel == channel
                )
            )
        ).all()
    )
    created = 0
    for external_id in ids:
        if external_id not in known:
            _, new = await identity_for(s, channel, external_id, now)
            created += int(new)
    gained = [i for i in listed if i in known and known[i] is not True]
    lost = [i for i, following in known.items() if following is not False and i not in listed]
    for chunk in _chunks(ids):
        await s.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id.in_(chunk))
            .values(following=True)
        )
    for chunk in _chunks(lost):
        await s.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id.in_(chunk))
            .values(following=False)
        )
    return Resync(len(listed), created, len(gained) + created, len(lost))


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
