"""The sending of approved campaigns, one step (``Sender.tick``) at a time: inside the
allowed hours, start the due campaigns (their audience becomes recipient rows), send the due
recipients through the channel's :class:`Broadcaster` with a bounded concurrency, record each
outcome, and finish the campaigns with nobody left pending. Outside the hours: nothing.

Vendor outcomes (``connectors.broadcast``): RecipientSkipped → skipped with its reason;
RetryLater → that recipient again later (rate limit/transient: after ``retry_after`` with a
doubling backoff, failed after the retry limit; night time: the next opening, not counted);
CampaignHalted → the campaign halted, its other recipients left pending, the sender told."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import audience, recipients, states
from campaigns.articles import article_step
from campaigns.districts import District
from campaigns.recipients import Claimed
from campaigns.schedule import allowed, next_opening
from campaigns.settings import CampaignSettings
from connectors.base import ChannelError
from connectors.broadcast import (
    NIGHT_TIME,
    Broadcaster,
    CampaignHalted,
    Promotion,
    RecipientSkipped,
    RetryLater,
)
from storage.clock import Clock
from storage.models_campaigns import Campaign, CampaignStatus
from storage.models_console import Notification
from storage.session import SessionMaker

log = logging.getLogger(__name__)

# (session, action, campaign id, detail, now): the caller's audit log (bot.auth.audit)
AuditHook = Callable[[AsyncSession, str, int, dict[str, Any] | None, datetime], Any]
Notify = Callable[[Notification], Awaitable[None]]


@dataclass
class Sender:
    sm: SessionMaker
    clock: Clock
    cfg: CampaignSettings
    broadcasters: Mapping[str, Broadcaster]
    districts: tuple[District, ...]
    audit: AuditHook
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    notices: list[Notification] = field(default_factory=list)

    async def tick(self) -> int:
        """One look; how many recipients got a final outcome or a new time."""
        if not allowed(self.clock.now(), self.cfg):
            return 0
        await self.start_due()
        done = await self.send_due()
        await self.finish_done()
        return done

    async def start_due(self) -> None:
        now = self.clock.now()
        async with self.sm() as s:
            due = (
                await s.execute(
                    select(Campaign.id, Campaign.kind, Campaign.channel, Campaign.audience)
                    .where(Campaign.status == CampaignStatus.APPROVED.value)
                    .where((Campaign.scheduled_at.is_(None)) | (Campaign.scheduled_at <= now))
                    .order_by(Campaign.id)
                )
            ).all()
        for campaign_id, kind, channel, wanted in due:
            async with self.sm() as s, s.begin():
                if not await states.start_sending(s, campaign_id, now):
                    continue  # another worker started it
                count = 0
                if kind == "promotion":
                    found = await audience.members(s, channel, wanted, now, self.districts)
                    count = await recipients.expand(s, campaign_id, found, now)
                self.audit(s, "campaign_sending", campaign_id, {"recipients": count}, now)

    async def send_due(self) -> int:
        total = 0
        while allowed(now := self.clock.now(), self.cfg):
            batch = await recipients.claim_due(
                self.sm, now, token=self.token, ttl=self.cfg.claim_ttl, limit=self.cfg.batch
            )
            if not batch:
                break
            await self._send_batch(batch)
            total += len(batch)
        return total

    async def _send_batch(self, batch: list[Claimed]) -> None:
        campaigns = await self._campaigns({c.campaign_id for c in batch})
        gate = asyncio.Semaphore(self.cfg.concurrency)
        halted: set[int] = set()

        async def one(c: Claimed) -> None:
            async with gate:
                await self._send(c, campaigns[c.campaign_id], halted)

        await asyncio.gather(*(one(c) for c in batch))

    async def _campaigns(self, ids: set[int]) -> dict[int, Campaign]:
        async with self.sm() as s:
            rows = (await s.execute(select(Campaign).where(Campaign.id.in_(ids)))).scalars()
            return {c.id: c for c in rows}

    async def _send(self, c: Claimed, campaign: Campaign, halted: set[int]) -> None:
        broadcaster = self.broadcasters.get(campaign.channel)
        if campaign.id in halted or broadcaster is None:
            async with self.sm() as s, s.begin():
                if broadcaster is None:
                    await self._retry(s, c, 0.0, f"Kênh {campaign.channel} không còn gửi được thông báo")
                else:
                    await recipients.release(s, c, self.token, self.clock.now())
            return
        promotion = Promotion(campaign.text, campaign.image_url, campaign.link_url, campaign.link_title)
        try:
            vendor_id = await broadcaster.send_promotion(c.external_id, promotion)
        except RecipientSkipped as err:
            async with self.sm() as s, s.begin():
                await recipients.skipped(s, c, self.token, err.reason, str(err), self.clock.now())
        except RetryLater as err:
            async with self.sm() as s, s.begin():
                await self._later(s, c, err)
        except CampaignHalted as err:
            halted.add(campaign.id)
            await self._halt(c, err)
        except ChannelError as err:  # anything else the channel says: a transient failure
            async with self.sm() as s, s.begin():
                await self._retry(s, c, 0.0, str(err))
        except Exception as err:  # a fault of ours: counted, so one recipient cannot loop forever
            log.exception("sending campaign %s to recipient %s failed", campaign.id, c.id)
            async with self.sm() as s, s.begin():
                await self._retry(s, c, 0.0, f"Lỗi nội bộ khi gửi: {type(err).__name__}")
        else:
            async with self.sm() as s, s.begin():
                await recipients.sent(s, c, self.token, vendor_id, self.clock.now())

    async def _later(self, s: AsyncSession, c: Claimed, err: RetryLater) -> None:
        now = self.clock.now()
        if err.reason == NIGHT_TIME:
            at = max(
                now + timedelta(seconds=err.retry_after), next_opening(now + timedelta(seconds=1), self.cfg)
            )
            await recipients.later(s, c, self.token, at, str(err), now, counts=False)
            return
        await self._retry(s, c, err.retry_after, str(err))

    async def _retry(self, s: AsyncSession, c: Claimed, retry_after: float, error: str) -> None:
        now = self.clock.now()
        if c.attempts + 1 >= self.cfg.retry_limit:
            await recipients.failed(s, c, self.token, error, now)
            return
        backoff = self.cfg.retry_delay * 2**c.attempts
        at = now + timedelta(seconds=max(retry_after, backoff))
        await recipients.later(s, c, self.token, at, error, now)

    async def _halt(self, c: Claimed, err: CampaignHalted) -> None:
        now = self.clock.now()
        async with self.sm() as s, s.begin():
            await recipients.release(s, c, self.token, now)
            notice = await states.halt(s, c.campaign_id, err.reason, str(err), now)
            if notice is not None:
                self.audit(s, "campaign_halted", c.campaign_id, {"reason": err.reason, "code": err.code}, now)
                self.notices.append(notice)

    async def finish_done(self) -> None:
        now = self.clock.now()
        async with self.sm() as s:
            sending = (
                await s.execute(
                    select(Campaign.id, Campaign.kind).where(Campaign.status == CampaignStatus.SENDING.value)
                )
            ).all()
        for campaign_id, kind in sending:
            if kind != "promotion":
                await article_step(self, campaign_id)
                continue
            async with self.sm() as s, s.begin():
                if await recipients.pending(s, campaign_id) == 0 and await states.finish(s, campaign_id, now):
                    self.audit(s, "campaign_done", campaign_id, None, now)
