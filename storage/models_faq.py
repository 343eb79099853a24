"""FAQ versions per agency (plan IV.4; Điều 14.4, 15.3): an import creates a version, one
version per agency is active, any earlier one can be re-activated (rollback). The active
FAQ is the union of every agency's active version; ``FaqGeneration`` changes whenever it
does, so every hub worker notices and rebuilds its index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class FaqVersion(Base):
    __tablename__ = "faq_versions"
    __table_args__ = (
        UniqueConstraint("agency", "number", name="uq_faq_versions_agency_number"),
        Index("ix_faq_versions_agency_active", "agency", "active"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency: Mapped[str] = mapped_column(String(300))
    number: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=False)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    source_name: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(200))
    diff_summary: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]


class FaqEntryRow(Base):
    __tablename__ = "faq_entries"
    __table_args__ = (UniqueConstraint("version_id", "faq_id", name="uq_faq_entries_version_faq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("faq_versions.id"), index=True)
    faq_id: Mapped[str] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(300), default="")
    agency: Mapped[str] = mapped_column(String(300), default="")
    alternatives: Mapped[list[str] | None] = mapped_column(default=None)
    keywords: Mapped[list[str] | None] = mapped_column(default=None)


class FaqGeneration(Base):
    """One row: bumped on every activation or rollback."""

    __tablename__ = "faq_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class FaqFeedback(Base):
    """Learning from use (``bot.faq_learning``): one resolved match of a citizen's message
    to an FAQ entry, and how it was resolved: ``tapped`` (the citizen picked the entry among
    the bot's numbered suggestions), ``operator_used`` (an operator answered with the entry
    found in the console's FAQ search), ``marked_wrong`` (an operator marked the bot's answer
    with the entry as wrong). ``message_id``: the reply that carried (or was) the answer."""

    __tablename__ = "faq_feedback"
    __table_args__ = (Index("ix_faq_feedback_agency_entry", "agency", "entry_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_text: Mapped[str] = mapped_column(Text)
    text_key: Mapped[str] = mapped_column(Text)  # the normalised text (faq.overlap.question_key)
    message_id: Mapped[int | None] = mapped_column(BigId, default=None, index=True)
    conversation_id: Mapped[int | None] = mapped_column(BigId, default=None)
    entry_id: Mapped[str] = mapped_column(String(100))
    agency: Mapped[str] = mapped_column(String(300), default="")  # the active version's agency
    outcome: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    created_at: Mapped[datetime]


class FaqPhrasingReview(Base):
    """An officer's decision on a proposed phrasing of an entry: accepted (into the version
    ``version_id``) or rejected; either way it is not proposed again."""

    __tablename__ = "faq_phrasing_reviews"
    __table_args__ = (UniqueConstraint("agency", "entry_id", "text_key", name="uq_faq_phrasing_reviews_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency: Mapped[str] = mapped_column(String(300))
    entry_id: Mapped[str] = mapped_column(String(100))
    text_key: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(20))  # accepted | rejected
    version_id: Mapped[int | None] = mapped_column(ForeignKey("faq_versions.id"), default=None)
    user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    created_at: Mapped[datetime]
