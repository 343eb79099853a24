"""The rows :mod:`privacy.anonymise` clears, table by table (the one place that rewrites a
citizen's data out of the hub's tables; see ``docs/personal-data.md``)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attachment, ChannelIdentity, Contact, Conversation, Message, Ticket, WebchatSession
from storage.models_campaigns import CampaignOptOut, CampaignRecipient, ContactTag
from storage.models_console import Notification, TicketEvent, TicketFile, TicketTrack
from storage.models_faq import FaqFeedback
from storage.models_integrations import ApiTicketSource
from storage.models_public import PublishedAnswer
from storage.models_webhooks import WebhookEvent
from storage.search import fold, ticket_search_text

MESSAGE_MARKER = "[Nội dung đã được ẩn danh]"
TICKET_MARKER = "[Nội dung phiếu đã được ẩn danh]"
CONTACT_PLACEHOLDER = "Người dân (đã ẩn danh)"
NOTICE_MARKER = "[Thông báo về phiếu đã được ẩn danh]"


@dataclass
class AnonymiseCounts:
    """What one anonymisation changed."""

    contacts: int = 0
    identities: int = 0
    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    files_deleted: int = 0
    tickets: int = 0
    ticket_files: int = 0
    published_answers: int = 0
    webchat_sessions: int = 0
    campaign_rows: int = 0
    webhook_events: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def add(self, other: AnonymiseCounts) -> None:
        for key, value in other.as_dict().items():
            setattr(self, key, getattr(self, key) + value)


def placeholder_id(identity_id: int) -> str:
    """The external id an anonymised identity keeps (unique per channel, no real account)."""
    return f"anon:{identity_id}"


def _resolve(media_dir: Path, stored: str) -> Path | None:
    """The file of ``stored`` if it lies under the media folder (never anything else)."""
    root = media_dir.resolve()
    path = Path(stored)
    path = (path if path.is_absolute() else root / path).resolve()
    return path if path.is_relative_to(root) else None


def _unlink(paths: list[Path]) -> int:
    gone = 0
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            gone += 1
    return gone


async def delete_files(s: AsyncSession, media_dir: Path, stored: list[str], counts: AnonymiseCounts) -> None:
    """Delete the files once no row of ``attachments``/``ticket_files`` names them any more
    (a content-addressed file may be shared by another citizen's identical attachment)."""
    await s.flush()
    paths: list[Path] = []
    for p in set(stored):
        left = await s.scalar(select(func.count()).select_from(Attachment).where(Attachment.stored_path == p))
        left_files = await s.scalar(
            select(func.count()).select_from(TicketFile).where(TicketFile.stored_path == p)
        )
        if not left and not left_files and (path := _resolve(media_dir, p)) is not None:
            paths.append(path)
    counts.files_deleted += await asyncio.to_thread(_unlink, paths)


async def scrub_conversation(s: AsyncSession, conv_id: int, media_dir: Path, counts: AnonymiseCounts) -> None:
    conv = await s.get(Conversation, conv_id)
    if conv is None:
        return
    conv.dialogue, conv.handoff_reason, conv.thread_key = None, None, None
    msg_ids = select(Message.id).where(Message.conversation_id == conv_id)
    res = await s.execute(
        update(Message)
        .where(Message.conversation_id == conv_id)
        .values(text=MESSAGE_MARKER, meta=None, status_reason=None)
        .execution_options(synchronize_session=False)
    )
    counts.messages += res.rowcount or 0  # type: ignore[attr-defined]
    atts = (await s.scalars(select(Attachment).where(Attachment.message_id.in_(msg_ids)))).all()
    stored = [a.stored_path for a in atts if a.stored_path]
    for a in atts:
        a.name, a.url, a.stored_path, a.meta = None, None, None, None
    counts.attachments += len(atts)
    await s.execute(
        update(FaqFeedback)
        .where(FaqFeedback.conversation_id == conv_id)
        .values(message_text=MESSAGE_MARKER, text_key="")
        .execution_options(synchronize_session=False)
    )
    await delete_files(s, media_dir, stored, counts)


async def scrub_ticket(
    s: AsyncSession, ticket_id: int, now: datetime, media_dir: Path, counts: AnonymiseCounts
) -> None:
    ticket = await s.get(Ticket, ticket_id)
    if ticket is None:
        return
    ticket.content, ticket.contact_snapshot = TICKET_MARKER, None
    ticket.search_text = ticket_search_text(ticket.code, TICKET_MARKER, None)
    track = await s.get(TicketTrack, ticket_id)
    if track is not None:
        track.caller_name, track.caller_phone = None, None
        for field in ("call_answer", "forward_note", "answer", "refusal_reason"):
            if getattr(track, field):
                setattr(track, field, TICKET_MARKER)
    await _update(
        s, TicketEvent, TicketEvent.ticket_id == ticket_id, TicketEvent.text.is_not(None), text=TICKET_MARKER
    )
    await _update(s, Notification, Notification.ticket_id == ticket_id, text=NOTICE_MARKER)
    await _update(s, ApiTicketSource, ApiTicketSource.ticket_id == ticket_id, external_ref=None)
    events = await _update(
        s,
        WebhookEvent,
        WebhookEvent.ticket_id == ticket_id,
        payload={"ticket": {"code": ticket.code}, "anonymised": True},
    )
    counts.webhook_events += events
    counts.published_answers += await _update(
        s,
        PublishedAnswer,
        PublishedAnswer.ticket_id == ticket_id,
        question=TICKET_MARKER,
        answer=TICKET_MARKER,
        search_text=fold(TICKET_MARKER),
        withdrawn_at=func.coalesce(PublishedAnswer.withdrawn_at, now),
        updated_at=now,
    )
    await delete_ticket_files(s, [ticket_id], media_dir, counts)


async def delete_ticket_files(
    s: AsyncSession,
    ticket_ids: list[int],
    media_dir: Path,
    counts: AnonymiseCounts,
    *,
    ids: list[int] | None = None,
) -> None:
    """Delete the tickets' files (call recordings) from disk and their rows; ``ids``: only
    these files."""
    q = select(TicketFile).where(TicketFile.ticket_id.in_(ticket_ids))
    if ids is not None:
        q = q.where(TicketFile.id.in_(ids))
    files = (await s.scalars(q)).all()
    stored = [f.stored_path for f in files]
    for f in files:
        await s.delete(f)
    counts.ticket_files += len(files)
    await delete_files(s, media_dir, stored, counts)


async def scrub_contact(s: AsyncSession, contact_id: int, now: datetime, counts: AnonymiseCounts) -> None:
    contact = await s.get(Contact, contact_id)
    if contact is None:
        return
    contact.display_name = CONTACT_PLACEHOLDER
    contact.full_name = contact.phone = contact.email = contact.address = contact.organisation = None
    contact.updated_at = now
    idents = (await s.scalars(select(ChannelIdentity).where(ChannelIdentity.contact_id == contact_id))).all()
    ident_ids = [i.id for i in idents]
    for i in idents:
        i.external_id, i.display_name, i.profile = placeholder_id(i.id), None, None
        i.following, i.profile_fetched_at = None, None
    counts.identities += len(idents)
    if ident_ids:
        counts.webchat_sessions += await _delete(s, WebchatSession, WebchatSession.identity_id.in_(ident_ids))
        counts.campaign_rows += await _delete(s, CampaignOptOut, CampaignOptOut.identity_id.in_(ident_ids))
        for i in idents:
            counts.campaign_rows += await _update(
                s,
                CampaignRecipient,
                CampaignRecipient.identity_id == i.id,
                external_id=i.external_id,
                error=None,
            )
    counts.campaign_rows += await _delete(s, ContactTag, ContactTag.contact_id == contact_id)


async def _update(s: AsyncSession, model: Any, *where: Any, **values: Any) -> int:
    res = await s.execute(
        update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


async def _delete(s: AsyncSession, model: Any, *where: Any) -> int:
    res = await s.execute(delete(model).where(*where).execution_options(synchronize_session=False))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]
