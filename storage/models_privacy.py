"""Tables of issue 18 (privacy): citizens' data requests, restrictions of processing and
the one-time codes of the public request form, the download links of a copy. Written only by
:mod:`privacy.requests` (data requests, codes), :mod:`privacy.restriction` (restrictions) and
:mod:`privacy.copy_links` (links)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class DataRequest(Base):
    """A data subject's request (Law 91/2025/QH15; deadlines of Decree 356/2025/NĐ-CP)."""

    __tablename__ = "data_requests"
    __table_args__ = (Index("ix_data_requests_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # "YCDL-2026-000012"
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # view/copy/correct/delete/restrict/object/withdraw_consent
    channel: Mapped[str] = mapped_column(String(32))  # a channel name, or "web_form"
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[str] = mapped_column(String(20))  # channel / ticket_phone / email_code
    status: Mapped[str] = mapped_column(String(20))  # received/acknowledged/extended/answered/refused
    received_at: Mapped[datetime]
    ack_due: Mapped[datetime]
    due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    extended_due: Mapped[datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    refusal_basis: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))  # where a web-form answer goes
    answer_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))  # the answer sent
    anonymised_at: Mapped[datetime | None]  # a deletion done (after its answer was sent)


class ContactRestriction(Base):
    """Processing restricted (or objected to) for a contact: no bot answers, no broadcasts."""

    __tablename__ = "contact_restrictions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # restrict / object
    request_id: Mapped[int | None] = mapped_column(ForeignKey("data_requests.id"))
    since: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(100))


class VerificationCode(Base):
    """A one-time code sent to the e-mail on record (only its hash is kept)."""

    __tablename__ = "data_request_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # the form's handle, not secret alone
    subject_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)  # the request's text, until verified
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DataCopyLink(Base):
    """A link that lets the citizen download the copy of their data (view/copy answers):
    only the token's SHA-256 is kept; it dies at ``expires_at`` or after its downloads."""

    __tablename__ = "data_copy_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_requests.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    last_download_at: Mapped[datetime | None]
