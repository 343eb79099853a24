"""Sending outbound webhooks (issue 17): the settings (``HUB_WEBHOOK_*``, documented in
``docs/webhooks.md``) and :class:`WebhookSender`, which claims due deliveries
(:func:`handoff.webhook_delivery.claim_due`), POSTs each signed, and records the outcome.
The loop that runs it in a worker process is :mod:`bot.webhook_worker`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp

from handoff.webhook_delivery import Claimed, RetryPolicy, claim_due, record_outcome, sign
from storage.clock import Clock
from storage.session import SessionMaker

log = logging.getLogger(__name__)

USER_AGENT = "Hub1022-Webhooks/1"
H_EVENT, H_DELIVERY = "X-Hub1022-Event", "X-Hub1022-Delivery"
H_TIMESTAMP, H_SIGNATURE = "X-Hub1022-Timestamp", "X-Hub1022-Signature"


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= minimum or value == float("inf"):
        raise ValueError(f"{name}={raw!r}: cần một số không nhỏ hơn {minimum:g}")
    return value


@dataclass(frozen=True)
class WebhookSettings:
    """``HUB_WEBHOOK_POLL_SECONDS`` between two sweeps of due deliveries,
    ``HUB_WEBHOOK_TIMEOUT_SECONDS`` per POST, ``HUB_WEBHOOK_CLAIM_SECONDS`` a claim lasts
    (at least the timeout + 5 s), ``HUB_WEBHOOK_BATCH`` deliveries claimed at once,
    ``HUB_WEBHOOK_MAX_ATTEMPTS``, ``HUB_WEBHOOK_BASE_DELAY``, ``HUB_WEBHOOK_MAX_DELAY`` and
    ``HUB_WEBHOOK_JITTER``: the retry schedule (:class:`RetryPolicy`)."""

    poll_seconds: float = 2.0
    timeout_seconds: float = 10.0
    claim_seconds: float = 60.0
    batch: int = 20
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookSettings:
        d, p = cls(), RetryPolicy()
        timeout = _number(env, "HUB_WEBHOOK_TIMEOUT_SECONDS", d.timeout_seconds, minimum=0.1)
        return cls(
            poll_seconds=_number(env, "HUB_WEBHOOK_POLL_SECONDS", d.poll_seconds, minimum=0.01),
            timeout_seconds=timeout,
            claim_seconds=max(_number(env, "HUB_WEBHOOK_CLAIM_SECONDS", d.claim_seconds), timeout + 5),
            batch=int(_number(env, "HUB_WEBHOOK_BATCH", d.batch, minimum=1)),
            policy=RetryPolicy(
                max_attempts=int(_number(env, "HUB_WEBHOOK_MAX_ATTEMPTS", p.max_attempts, minimum=1)),
                base_delay=_number(env, "HUB_WEBHOOK_BASE_DELAY", p.base_delay),
                max_delay=_number(env, "HUB_WEBHOOK_MAX_DELAY", p.max_delay),
                jitter=_number(env, "HUB_WEBHOOK_JITTER", p.jitter),
            ),
        )


class WebhookSender:
    """Claims due deliveries, POSTs them (different endpoints at once, one endpoint's in
    event order), records each outcome. Any number may run on one database."""

    def __init__(
        self, sm: SessionMaker, http: aiohttp.ClientSession, clock: Clock, settings: WebhookSettings
    ) -> None:
        self.sm, self.http, self.clock, self.settings = sm, http, clock, settings

    async def run_once(self) -> int:
        """One sweep: how many deliveries were attempted."""
        async with self.sm() as s, s.begin():
            claimed = await claim_due(
                s, self.clock.now(), timedelta(seconds=self.settings.claim_seconds), self.settings.batch
            )
        await asyncio.gather(*(self._deliver(c) for c in claimed))
        return len(claimed)

    async def _deliver(self, claimed: Claimed) -> None:
        status, error = await self._post(claimed)
        async with self.sm() as s, s.begin():
            outcome = await record_outcome(
                s, claimed, self.clock.now(), self.settings.policy, status_code=status, error=error
            )
        if outcome is None:
            log.warning("webhook delivery %s: claim lost before its outcome was recorded", claimed.id)

    async def _post(self, claimed: Claimed) -> tuple[int | None, str | None]:
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            H_EVENT: claimed.event_type,
            H_DELIVERY: str(claimed.id),
            H_TIMESTAMP: timestamp,
            H_SIGNATURE: sign(claimed.secret, timestamp, claimed.body),
        }
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        try:
            async with self.http.post(
                claimed.url, data=claimed.body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                await response.read()
                return response.status, None if response.status < 300 else f"HTTP {response.status}"
        except TimeoutError:
            return None, f"Hết thời gian chờ ({self.settings.timeout_seconds:g} s)"
        except aiohttp.ClientError as err:
            return None, f"Lỗi kết nối: {type(err).__name__}: {err}"
