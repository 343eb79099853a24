"""Outbound webhooks (issue 17): the endpoints other apps subscribed, the events of the
ticket workflow (a transactional outbox: written in the same transaction as the ticket's
change) and one delivery per endpoint and event, with its attempts and outcome.

``webhook_endpoints.secret`` is the shared secret the hub signs every delivery with
(HMAC-SHA256): it must be readable to sign, so it is kept in the database as it is (not
hashed), shown once when the endpoint is created and never again by any API.

Owners: :mod:`handoff.webhook_events` writes ``webhook_events``;
:mod:`handoff.webhook_delivery` every ``webhook_endpoints`` and ``webhook_deliveries`` row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId

EVENT_TYPES = (
    "ticket.created",
    "ticket.forwarded",
    "ticket.progress",
    "ticket.answered",
    "ticket.overdue",
)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DELIVERY_STATUSES = (PENDING, DELIVERED, FAILED)


class WebhookEndpoint(Base):
    """A receiver: its URL, the shared secret, the event types it wants; ``deleted_at``:
    removed by its owner (kept for the delivery log, never delivered to again)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    api_token_id: Mapped[int | None] = mapped_column(BigId)  # the API token that created it
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class WebhookEvent(Base):
    """One event of a ticket, its payload as every receiver gets it (the outbox)."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class WebhookDelivery(Base):
    """An event for one endpoint: ``pending`` until a 2xx (``delivered``) or the retry limit
    (``failed``); a worker claims it with ``claim_token`` until ``claimed_until``."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
