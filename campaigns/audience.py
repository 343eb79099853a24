"""Who a campaign goes to: the channel's identities that match its audience (all followers,
a contact tag, a district named in the contact's address, or a recent interaction), and
which of them are skipped before sending (opted out, processing restricted or objected to
by the contact (issue 18), not following). Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.districts import District, districts_of
from storage.models import ChannelIdentity, Contact, Conversation
from storage.models_campaigns import CampaignOptOut, ContactTag
from storage.models_privacy import ContactRestriction

OPTED_OUT = "opted_out"
NOT_FOLLOWER = "not_follower"
RESTRICTED = "restricted"


@dataclass(frozen=True)
class Member:
    identity_id: int
    external_id: str
    skip: str | None  # None: send; else the reason it is skipped


@dataclass(frozen=True)
class Preview:
    total: int
    eligible: int
    skipped: dict[str, int]


async def members(
    s: AsyncSession, channel: str, audience: dict[str, Any], now: datetime, districts: tuple[District, ...]
) -> list[Member]:
    """Every identity of the audience, once, with the reason it is skipped (if any)."""
    opted = exists().where(CampaignOptOut.identity_id == ChannelIdentity.id)
    restricted = exists().where(
        ContactRestriction.contact_id == ChannelIdentity.contact_id, ContactRestriction.lifted_at.is_(None)
    )
    query = (
        select(
            ChannelIdentity.id,
            ChannelIdentity.external_id,
            ChannelIdentity.following,
            opted,
            Contact.address,
            restricted,
        )
        .join(Contact, Contact.id == ChannelIdentity.contact_id)
        .where(ChannelIdentity.channel == channel)
        .order_by(ChannelIdentity.id)
    )
    query = query.where(_condition(audience, now))
    wanted = set(audience.get("districts") or ())
    found: list[Member] = []
    for identity_id, external_id, following, is_opted, address, is_restricted in (
        await s.execute(query)
    ).all():
        if audience.get("kind") == "district" and not wanted.intersection(districts_of(address, districts)):
            continue
        skip = OPTED_OUT if is_opted else RESTRICTED if is_restricted else None
        skip = skip or (NOT_FOLLOWER if following is False else None)
        found.append(Member(identity_id, external_id, skip))
    return found


def _condition(audience: dict[str, Any], now: datetime) -> ColumnElement[bool]:
    kind = audience.get("kind")
    if kind == "all":  # the followers we know of
        return ChannelIdentity.following.is_(True)
    if kind == "tag":
        tagged = exists().where(
            ContactTag.contact_id == ChannelIdentity.contact_id, ContactTag.tag.in_(audience["tags"])
        )
        return tagged
    if kind == "district":
        return Contact.address.is_not(None)
    if kind == "interaction":
        since = now - timedelta(days=int(audience["days"]))
        recent = exists().where(
            Conversation.identity_id == ChannelIdentity.id, Conversation.last_inbound_at >= since
        )
        return recent
    return ChannelIdentity.id.is_(None)  # "target" (articles): the channel picks


async def preview(
    s: AsyncSession, channel: str, audience: dict[str, Any], now: datetime, districts: tuple[District, ...]
) -> Preview:
    found = await members(s, channel, audience, now, districts)
    skipped: dict[str, int] = {}
    for m in found:
        if m.skip:
            skipped[m.skip] = skipped.get(m.skip, 0) + 1
    return Preview(total=len(found), eligible=len(found) - sum(skipped.values()), skipped=skipped)
