"""Tables of issue 18 (retention): legal holds that keep a record from the retention job and
from anonymisation, and one row per daily retention run (which local day ran, its counts).
What was anonymised, when and why (so the job does not redo it, and an officer can answer
"what became of this record"). Owners: :mod:`privacy.legal_hold` writes ``legal_holds``;
:mod:`privacy.retention` ``retention_runs``; :mod:`privacy.anonymise` ``anonymised_objects``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId

HOLD_KINDS = ("contact", "ticket", "conversation")


class LegalHold(Base):
    """A record that must not be deleted or anonymised (an inspection, a complaint, a court
    case) until ``released_at`` is set."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index("ix_legal_holds_object", "object_kind", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    object_kind: Mapped[str] = mapped_column(String(20))  # contact | ticket | conversation
    object_id: Mapped[int] = mapped_column(BigId)
    reason: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    set_by: Mapped[str | None] = mapped_column(String(100))
    set_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(100))


class RetentionRun(Base):
    """The daily retention job of one local day: ``day`` is unique, so two workers (or a
    restart) cannot run the same day twice."""

    __tablename__ = "retention_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AnonymisedObject(Base):
    """A contact, conversation or ticket that was anonymised (by a data request or the
    retention job: ``reason``)."""

    __tablename__ = "anonymised_objects"
    __table_args__ = (UniqueConstraint("object_kind", "object_id", name="uq_anonymised_objects_kind_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    object_kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(BigId)
    reason: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
