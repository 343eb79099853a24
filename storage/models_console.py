"""Models of the operator console and the ticket workflow (on the hub's one ``Base``).

User ─< UserSession                     console accounts and their server-side sessions
LoginAttempt                            lock-out after repeated failures
Agency, Domain                          data seeded from the regulation's table (Điều 5)
Ticket ─ TicketTrack                    workflow fields of a phiếu (agency, deadlines, answer)
Ticket ─< TicketEvent                   status history (who, what, when)
TicketFile                              a call's recording file (Điều 11.1)
AuditLog                                append-only: every action on a ticket or citizen data
CannedAnswer                            ready-made replies for operators
Notification                            e.g. "ticket overdue" for the supervisor
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class Role(enum.StrEnum):
    OPERATOR = "operator"  # Cán bộ Trực Tổng đài
    AGENCY = "agency"  # Cán bộ đầu mối (one agency)
    SUPERVISOR = "supervisor"  # Sở TT&TT
    ADMIN = "admin"
    COMMUNICATIONS = "communications"  # Cán bộ truyền thông: campaigns (Thông báo) only, no agency


class TicketStatus(enum.StrEnum):
    NEW = "new"  # received (Điều 9.1)
    REFUSED = "refused"  # out of scope (Điều 3.6, 9.2)
    UNCLEAR = "unclear"  # authority unclear: supervisor's queue (Điều 10.4)
    FORWARDED = "forwarded"  # phiếu chuyển at the agency (Điều 10.1)
    IN_PROGRESS = "in_progress"  # progress update + new appointment (Điều 10.3)
    PHONE_ANSWERED = "phone_answered"  # answered by phone, write-up due in 4 working hours
    ANSWERED = "answered"
    CLOSED = "closed"


OPEN_AT_AGENCY = (TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS, TicketStatus.PHONE_ANSWERED)
# nothing more happens to a ticket in these (no deadline, no urgency)
FINAL_STATUSES = (TicketStatus.ANSWERED, TicketStatus.REFUSED, TicketStatus.CLOSED)


class User(Base):
    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locked_until: Mapped[datetime | None]
    email: Mapped[str | None] = mapped_column(String(320))  # for the agency notices by e-mail
    email_notices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class UserSession(Base):
    """Server-side session; the cookie holds a random token, we store its SHA-256."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), index=True)  # None: anonymous
    csrf_token: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    __tablename__ = "console_login_attempts"
    __table_args__ = (Index("ix_login_attempts_user_at", "username", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]


class Agency(Base):
    """Đơn vị chủ trì / cơ quan đầu mối."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30), default="department")  # department | district | other
    hotline: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Domain(Base):
    """Lĩnh vực (Appendix 2): which agency owns it by default."""

    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))  # None: several / per district
    owner_note: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TicketTrack(Base):
    """Workflow state of one ticket (1:1 with ``tickets``). ``tickets.due_at`` holds the
    current deadline; everything here is stored so a restart loses nothing."""

    __tablename__ = "ticket_tracks"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domains.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    received_at: Mapped[datetime]
    forwarded_at: Mapped[datetime | None]
    forward_note: Mapped[str | None] = mapped_column(Text)
    answer_due_at: Mapped[datetime | None]  # 8 working hours from the forward (fixed)
    appointment_at: Mapped[datetime | None]  # the officer's latest new appointment
    last_progress_at: Mapped[datetime | None]
    phone_answered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    overdue_notified_for: Mapped[datetime | None]  # due_at value the supervisor was told about
    breach_at: Mapped[datetime | None]  # Điều 10.3 breach: 8 h passed, no progress update
    caller_name: Mapped[str | None] = mapped_column(String(200))
    caller_phone: Mapped[str | None] = mapped_column(String(32))
    call_answer: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())  # Điều 13.2
    # the citizen asked that this request not be published (Điều 12)
    no_publish: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    approaching_notified_for: Mapped[datetime | None]  # due_at value the agency was warned about


class TicketEvent(Base):
    """Status history of a ticket."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    text: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]


class TicketFile(Base):
    __tablename__ = "ticket_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="recording")
    name: Mapped[str] = mapped_column(String(300))
    mime_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class AuditLog(Base):
    """Append-only (a database trigger refuses UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_object", "object_type", "object_id"),
        Index("ix_audit_user_id", "user_id", "id"),  # a user's latest row (repeated views)
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[dict[str, Any] | None]


class CannedAnswer(Base):
    __tablename__ = "canned_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domains.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Notification(Base):
    """A stored notice for a role/agency (e.g. overdue ticket → supervisor)."""

    __tablename__ = "console_notifications"
    __table_args__ = (Index("ix_notifications_role_read", "role", "read"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
