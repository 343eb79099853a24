"""Tables of issue 18 (breaches): the register of personal-data breaches (Law 91/2025/QH15
Điều 23; Decree 356/2025/NĐ-CP): what happened, when it was discovered, which data and how
many people, the measures taken, the notification to the specialised authority and the 72-hour
clock's reminders. Written only by :mod:`privacy.breaches`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId

BREACH_STATUSES = ("open", "notified", "closed")


class Breach(Base):
    """One personal-data breach. The clock runs from ``discovered_at`` until ``notified_at``;
    ``reminded_at`` / ``overdue_noticed_at`` say the 48 h and 72 h notices went out (once)."""

    __tablename__ = "privacy_breaches"
    __table_args__ = (Index("ix_privacy_breaches_status_discovered", "status", "discovered_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # open | notified | closed
    summary: Mapped[str] = mapped_column(Text)  # what happened
    discovered_at: Mapped[datetime]
    occurred_at: Mapped[datetime | None]  # when it happened, if known
    data_categories: Mapped[str] = mapped_column(Text)
    affected_count: Mapped[int] = mapped_column(Integer)  # an estimate
    consequences: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]  # the 48 h notice ("còn 24 giờ")
    overdue_noticed_at: Mapped[datetime | None]  # the 72 h notice ("đã quá hạn 72 giờ")
    notified_at: Mapped[datetime | None]  # when the authority was notified
    notified_ref: Mapped[str | None] = mapped_column(String(200))  # its reference (số công văn…)
    notified_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    close_note: Mapped[str | None] = mapped_column(Text)
