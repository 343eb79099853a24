"""Outbound webhooks' endpoints and deliveries (issue 17): the one owner of every change
of ``webhook_endpoints`` and ``webhook_deliveries`` (:mod:`storage.models_webhooks`).

* endpoints: created with a generated shared secret (returned once), disabled, enabled,
  deleted (kept for the log; its pending deliveries fail);
* deliveries: queued with their event (:func:`queue_deliveries`, called by
  :func:`handoff.webhook_events.record_ticket_event`), claimed by a worker with a token
  until an expiry (:func:`claim_due`: only the oldest pending delivery of each endpoint, so
  an endpoint gets its events in order), their outcome recorded with backoff and a retry
  limit (:func:`record_outcome`), and a failed one delivered again (:func:`redeliver`);
* the signature a receiver checks (:func:`sign`).

Independent of HTTP; time comes from the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models_webhooks import (
    DELIVERED,
    EVENT_TYPES,
    FAILED,
    PENDING,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

MAX_URL, MAX_NAME, MAX_ERROR = 2000, 200, 500


class WebhookError(Exception):
    """A request the webhooks cannot take: ``message`` is Vietnamese, for the user."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` tries in all; the n-th failure waits ``base * 2**(n-1)`` seconds
    (at most ``max_delay``) plus up to ``jitter`` of it at random."""

    max_attempts: int = 10
    base_delay: float = 30.0
    max_delay: float = 3600.0
    jitter: float = 0.2

    def delay(self, failures: int, rand: float | None = None) -> timedelta:
        base = min(self.max_delay, self.base_delay * 2 ** max(0, failures - 1))
        r = random.random() if rand is None else rand
        return timedelta(seconds=base * (1 + self.jitter * r))


@dataclass(frozen=True)
class Claimed:
    """What a worker needs to POST one claimed delivery."""

    id: int
    token: str
    url: str
    secret: str
    event_type: str
    event_id: int
    body: bytes
    attempts: int  # before this one


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with the shared secret over ``timestamp + "." + body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _control(text: str) -> bool:
    return any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or 0xD800 <= ord(c) < 0xE000 for c in text)


def check_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise WebhookError("Thiếu địa chỉ nhận (url)")
    url = url.strip()
    if _control(url):
        raise WebhookError("Địa chỉ nhận chứa ký tự điều khiển")
    if len(url) > MAX_URL:
        raise WebhookError(f"Địa chỉ nhận dài quá {MAX_URL} ký tự")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as err:
        raise WebhookError("Địa chỉ nhận không hợp lệ") from err
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise WebhookError("Địa chỉ nhận phải là URL http(s) có tên máy, không kèm tài khoản")
    return url


def check_events(events: Any) -> list[str]:
    if events is None:
        return list(EVENT_TYPES)
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise WebhookError("Danh sách sự kiện (events) phải là mảng tên sự kiện, không rỗng")
    unknown = sorted({e for e in events if e not in EVENT_TYPES})
    if unknown:
        raise WebhookError(
            f"Sự kiện không hỗ trợ: {', '.join(unknown)[:200]} (cho phép: {', '.join(EVENT_TYPES)})"
        )
    return [e for e in EVENT_TYPES if e in events]


def check_name(name: Any, url: str) -> str:
    """A label for people; control characters are dropped (default: the URL's host)."""
    if name is not None and not isinstance(name, str):
        raise WebhookError(f"Tên điểm nhận phải là chuỗi tối đa {MAX_NAME} ký tự")
    clean = "".join(c for c in (name or "") if not _control(c)).strip()
    if len(clean) > MAX_NAME:
        raise WebhookError(f"Tên điểm nhận phải là chuỗi tối đa {MAX_NAME} ký tự")
    return clean or (urlsplit(url).hostname or url)[:MAX_NAME]


async def create_endpoint(
    s: AsyncSession,
    now: datetime,
    *,
    url: Any,
    events: Any = None,
    name: Any = None,
    created_by_id: int | None = None,
    api_token_id: int | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its shared secret (shown to the caller once)."""
    clean = check_url(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        name=check_name(name, clean),
        url=clean,
        secret=secret,
        events=check_events(events),
        active=True,
        created_by_id=created_by_id,
        api_token_id=api_token_id,
        created_at=now,
        updated_at=now,
    )
    s.add(endpoint)
    await s.flush()
    return endpoint, secret


async def get_endpoint(s: AsyncSession, endpoint_id: int, api_token_id: int | None = None) -> WebhookEndpoint:
    """A live endpoint; ``api_token_id``: only one that token created."""
    endpoint = await s.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is None or endpoint.deleted_at is not None:
        raise WebhookError("Không tìm thấy điểm nhận webhook", 404)
    if api_token_id is not None and endpoint.api_token_id != api_token_id:
        raise WebhookError("Không tìm thấy điểm nhận webhook", 404)
    return endpoint


async def set_active(s: AsyncSession, endpoint: WebhookEndpoint, active: bool, now: datetime) -> None:
    """Disable (new events are not queued for it, pending ones wait) or enable again."""
    endpoint.active = active
    endpoint.updated_at = now


async def delete_endpoint(s: AsyncSession, endpoint: WebhookEndpoint, now: datetime) -> int:
    """Remove an endpoint: kept for the delivery log; its pending deliveries fail. Returns
    how many did."""
    endpoint.active = False
    endpoint.deleted_at = now
    endpoint.updated_at = now
    result = await s.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == PENDING)
        .values(status=FAILED, last_error="Điểm nhận đã bị xoá", claim_token=None, claimed_until=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def queue_deliveries(s: AsyncSession, event: WebhookEvent, now: datetime) -> int:
    """One pending delivery of ``event`` per active endpoint subscribed to its type."""
    rows = await s.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.active.is_(True), WebhookEndpoint.deleted_at.is_(None)
        )
    )
    count = 0
    for endpoint_id, events in rows.all():
        if event.event_type in (events or ()):
            s.add(
                WebhookDelivery(
                    endpoint_id=endpoint_id,
                    event_id=event.id,
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            count += 1
    await s.flush()
    return count


def _heads(now: datetime) -> Any:
    """Due pending deliveries with no older pending delivery to the same endpoint."""
    older = aliased(WebhookDelivery)
    return (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            WebhookEndpoint.active.is_(True),
            ~exists().where(
                and_(
                    older.endpoint_id == WebhookDelivery.endpoint_id,
                    older.status == PENDING,
                    older.id < WebhookDelivery.id,
                )
            ),
        )
        .order_by(WebhookDelivery.id)
    )


async def claim_due(s: AsyncSession, now: datetime, claim_for: timedelta, limit: int) -> list[Claimed]:
    """Claim up to ``limit`` deliveries due at ``now`` for ``claim_for``. The claim is a
    conditional update (still pending, still unclaimed), so two workers never hold one."""
    ids = list((await s.execute(_heads(now).limit(limit))).scalars())
    if not ids:
        return []
    token = secrets.token_hex(16)
    await s.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id.in_(ids),
            WebhookDelivery.status == PENDING,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .values(claim_token=token, claimed_until=now + claim_for)
        .execution_options(synchronize_session=False)
    )
    rows = await s.execute(
        select(WebhookDelivery, WebhookEndpoint, WebhookEvent)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.claim_token == token)
        .order_by(WebhookDelivery.id)
    )
    return [
        Claimed(d.id, token, ep.url, ep.secret, ev.event_type, ev.id, body_of(ev.payload), d.attempts)
        for d, ep, ev in rows.all()
    ]


async def record_outcome(
    s: AsyncSession,
    claimed: Claimed,
    now: datetime,
    policy: RetryPolicy,
    *,
    status_code: int | None,
    error: str | None,
) -> str | None:
    """The attempt's outcome: a 2xx is delivered; else retried after backoff, failed after
    ``policy.max_attempts``. Returns the new status, or None when the claim was lost."""
    row = await s.get(WebhookDelivery, claimed.id, with_for_update=True)
    if row is None or row.claim_token != claimed.token or row.status != PENDING:
        return None
    row.attempts += 1
    row.last_attempt_at = now
    row.last_status_code = status_code
    row.claim_token, row.claimed_until = None, None
    if status_code is not None and 200 <= status_code < 300:
        row.status, row.delivered_at, row.last_error = DELIVERED, now, None
        return DELIVERED
    row.last_error = (error or f"HTTP {status_code}")[:MAX_ERROR]
    if row.attempts >= policy.max_attempts:
        row.status = FAILED
    else:
        row.next_attempt_at = now + policy.delay(row.attempts)
    return row.status


async def redeliver(s: AsyncSession, delivery_id: int, now: datetime) -> WebhookDelivery:
    """A failed delivery is pending again, due now, with a fresh retry budget."""
    row = await s.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None:
        raise WebhookError("Không tìm thấy lần gửi webhook", 404)
    if row.status != FAILED:
        raise WebhookError("Chỉ gửi lại được lần gửi đã thất bại", 409)
    endpoint = await s.get(WebhookEndpoint, row.endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None:
        raise WebhookError("Điểm nhận đã bị xoá: không gửi lại được", 409)
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, now
    row.claim_token, row.claimed_until = None, None
    return row
