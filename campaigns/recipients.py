"""Each recipient of a campaign and its outcome. The one writer of ``campaign_recipients``.

Rows are claimed like the outbox's (``storage.record.outbound.claim_due``): a token and an
expiry written in one transaction, only on rows nobody holds, then read back by token, so
several worker processes never send one recipient twice (SQLite serialises the writers;
PostgreSQL re-checks the ``WHERE`` of a row another transaction just claimed). Each outcome
is written only by the holder of the claim."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience import Member
from storage.dialect import dialect_insert
from storage.models_campaigns import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from storage.session import SessionMaker

R = CampaignRecipient


@dataclass(frozen=True)
class Claimed:
    id: int
    campaign_id: int
    external_id: str
    attempts: int


async def expand(s: AsyncSession, campaign_id: int, found: Sequence[Member], now: datetime) -> int:
    """One row per member (again: nothing new); the skipped ones are settled already."""
    rows = [
        {
            "campaign_id": campaign_id,
            "identity_id": m.identity_id,
            "external_id": m.external_id,
            "status": (RecipientStatus.SKIPPED if m.skip else RecipientStatus.PENDING).value,
            "reason": m.skip,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for m in found
    ]
    for start in range(0, len(rows), 500):
        await s.execute(
            dialect_insert(s, R).on_conflict_do_nothing(index_elements=["campaign_id", "identity_id"]),
            rows[start : start + 500],
        )
    return len(rows)


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(R.claimed_until.is_(None), R.claimed_until < now)


async def claim_due(sm: SessionMaker, now: datetime, *, token: str, ttl: float, limit: int) -> list[Claimed]:
    """Claim pending, due recipients of sending campaigns, oldest first."""
    due = (
        select(R.id)
        .join(Campaign, Campaign.id == R.campaign_id)
        .where(
            Campaign.status == CampaignStatus.SENDING.value,
            R.status == RecipientStatus.PENDING.value,
            R.next_attempt_at <= now,
            _free(now),
        )
        .order_by(R.next_attempt_at, R.id)
        .limit(limit)
        .with_for_update(of=R, skip_locked=True)  # PostgreSQL: concurrent claimers take other rows
    )
    async with sm() as s, s.begin():
        picked = list((await s.execute(due)).scalars())
        if not picked:
            return []
        await s.execute(
            update(R)
            .where(R.id.in_(picked), R.status == RecipientStatus.PENDING.value, _free(now))
            .values(claimed_until=now + timedelta(seconds=ttl), claim_token=token)
        )
        rows = await s.execute(
            select(R.id, R.campaign_id, R.external_id, R.attempts).where(
                R.id.in_(picked), R.claim_token == token
            )
        )
        return [Claimed(*row) for row in rows.all()]


async def _settle(s: AsyncSession, c: Claimed, token: str, now: datetime, **values: object) -> bool:
    moved = await s.execute(
        update(R)
        .where(R.id == c.id, R.claim_token == token, R.status == RecipientStatus.PENDING.value)
        .values(claimed_until=None, claim_token=None, updated_at=now, **values)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def sent(s: AsyncSession, c: Claimed, token: str, vendor_id: str, now: datetime) -> bool:
    return await _settle(
        s,
        c,
        token,
        now,
        status=RecipientStatus.SENT.value,
        vendor_id=vendor_id,
        sent_at=now,
        attempts=c.attempts + 1,
    )


async def skipped(s: AsyncSession, c: Claimed, token: str, reason: str, error: str, now: datetime) -> bool:
    return await _settle(
        s,
        c,
        token,
        now,
        status=RecipientStatus.SKIPPED.value,
        reason=reason,
        error=error,
        attempts=c.attempts + 1,
    )


async def failed(s: AsyncSession, c: Claimed, token: str, error: str, now: datetime) -> bool:
    return await _settle(
        s, c, token, now, status=RecipientStatus.FAILED.value, error=error, attempts=c.attempts + 1
    )


async def later(
    s: AsyncSession, c: Claimed, token: str, at: datetime, error: str, now: datetime, *, counts: bool = True
) -> bool:
    """Try again at ``at``; ``counts``: this try counts toward the retry limit."""
    return await _settle(
        s, c, token, now, next_attempt_at=at, error=error, attempts=c.attempts + (1 if counts else 0)
    )


async def release(s: AsyncSession, c: Claimed, token: str, now: datetime) -> bool:
    """Give the claim back untouched (the campaign was halted meanwhile): left pending."""
    return await _settle(s, c, token, now)


async def pending(s: AsyncSession, campaign_id: int) -> int:
    found = await s.execute(
        select(func.count()).where(R.campaign_id == campaign_id, R.status == RecipientStatus.PENDING.value)
    )
    return int(found.scalar_one())
