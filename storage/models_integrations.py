"""Tables of the integration API ``/api/v1`` (issue 17): the API tokens other apps call
with, their idempotency keys, the per-token request windows of the rate limit (when there is
no Redis), and where an API-created ticket came from. Changed only by
:mod:`bot.auth.api_tokens` (tokens, windows) and :mod:`bot.api_v1.tickets` (keys, sources)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class ApiToken(Base):
    """An app's credential: only the SHA-256 of the token is kept; ``prefix`` (its first
    characters) identifies it in lists; revoked tokens stay for the audit trail."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    created_by: Mapped[str | None] = mapped_column(String(100))  # a console user or "cli"
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ApiRateWindow(Base):
    """How many requests a token made in one fixed window (the database's rate limit,
    shared by every hub process; Redis does the same when it is configured)."""

    __tablename__ = "api_rate_windows"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), primary_key=True, autoincrement=False)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ApiIdempotencyKey(Base):
    """``Idempotency-Key`` of a token's request: the same key and body give back the stored
    response; the same key with another body is refused; forgotten after ``expires_at``."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_api_idempotency_keys_token_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiTicketSource(Base):
    """Which app created a ticket through the API, and its own reference for it."""

    __tablename__ = "api_ticket_sources"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True, autoincrement=False)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    source_app: Mapped[str] = mapped_column(String(100))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
