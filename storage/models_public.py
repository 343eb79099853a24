"""What the public sees and may try: answers published from tickets (Điều 12) and the
attempts of the public lookup, counted for its rate limit (shared by every hub process)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class PublishedAnswer(Base):
    """A ticket's question and answer as published: the question's personal data masked and
    reviewed by the officer who published it."""

    __tablename__ = "published_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    domain: Mapped[str | None] = mapped_column(String(300))
    agency: Mapped[str | None] = mapped_column(String(300))
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    withdrawn_at: Mapped[datetime | None]  # taken down: no longer public
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded question + answer
    updated_at: Mapped[datetime]


class PublicAttempt(Base):
    """One failed try of a public form (the lookup): ``scope`` names the limit, ``key`` the
    client address or the ticket code it counts against."""

    __tablename__ = "public_attempts"
    __table_args__ = (Index("ix_public_attempts_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
