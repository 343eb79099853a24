"""The copy of everything held about one contact (Law 91/2025/QH15: the right to get a copy;
issue 18 "View / copy"): profile, merged contacts, channel identities, conversations with
their messages on every channel, the list of attachments (not their bytes), tickets with
their history and answer, announcements received and opt-outs, data requests, and the access
log. :func:`contact_export` gathers it as JSON-able data; :func:`export_xlsx` writes it as a
workbook (``privacy.export_files``); the PDF is drawn by the console
(``bot.console.contact_data_api.export_pdf``: the PDF writer lives in ``bot/console/pdf.py``).

Read only: nothing here changes a row.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.access_log import access_log, contact_ids, conversation_ids, ticket_ids
from privacy.export_files import export_xlsx, sections
from storage.clock import as_utc
from storage.models import Attachment, ChannelIdentity, Contact, Conversation, Message, Ticket
from storage.models_campaigns import Campaign, CampaignOptOut, CampaignRecipient, ContactTag
from storage.models_console import Agency, Domain, TicketEvent, TicketFile, TicketTrack

__all__ = ["ExportNotFound", "contact_export", "export_xlsx", "sections"]

PROFILE_FIELDS = ("display_name", "full_name", "phone", "email", "address", "organisation")
TRACK_FIELDS = (
    "received_at",
    "forwarded_at",
    "forward_note",
    "answer_due_at",
    "appointment_at",
    "answered_at",
    "answer",
    "refusal_reason",
    "caller_name",
    "caller_phone",
    "call_answer",
    "urgent",
    "no_publish",
)


class ExportNotFound(LookupError):
    """No such contact (Vietnamese message)."""


def iso(value: datetime | None) -> str | None:
    at = as_utc(value)
    return at.isoformat() if at else None


def _plain(value: Any) -> Any:
    """A column's value as JSON (datetimes as ISO 8601 in UTC)."""
    return iso(value) if isinstance(value, datetime) else value


def _contact(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        **{k: getattr(c, k) for k in PROFILE_FIELDS},
        "merged_into_id": c.merged_into_id,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
    }


def _identity(i: ChannelIdentity) -> dict[str, Any]:
    return {
        "id": i.id,
        "contact_id": i.contact_id,
        "channel": i.channel,
        "external_id": i.external_id,
        "display_name": i.display_name,
        "profile": i.profile,
        "following": i.following,
        "created_at": iso(i.created_at),
    }


def _attachment(a: Attachment, m: Message) -> dict[str, Any]:
    return {
        "id": a.id,
        "message_id": m.id,
        "conversation_id": m.conversation_id,
        "channel": m.channel,
        "name": a.name,
        "kind": a.kind,
        "mime_type": a.mime_type,
        "size": a.size,
        "at": iso(m.sent_at or m.created_at),
    }


def _message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "seq": m.seq,
        "channel": m.channel,
        "direction": m.direction,
        "sender_role": m.sender_role,
        "text": m.text,
        "subject": (m.meta or {}).get("subject"),  # an e-mail's subject line
        "at": iso(m.sent_at or m.created_at),
        "status": m.status,
        "attachments": [a.name or a.kind for a in m.attachments],
    }


async def _conversations(
    s: AsyncSession, conv_ids: Sequence[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The conversations with their messages, and every attachment of them."""
    if not conv_ids:
        return [], []
    convs = (
        await s.execute(select(Conversation).where(Conversation.id.in_(conv_ids)).order_by(Conversation.id))
    ).scalars()
    msgs = (
        await s.execute(
            select(Message)
            .where(Message.conversation_id.in_(conv_ids))
            .order_by(Message.conversation_id, Message.seq)
        )
    ).scalars()
    by_conv: dict[int, list[Message]] = {}
    for m in msgs:
        by_conv.setdefault(m.conversation_id, []).append(m)
    out, files = [], []
    for c in convs:
        messages = by_conv.get(c.id, [])
        files += [_attachment(a, m) for m in messages for a in m.attachments]
        out.append(
            {
                "id": c.id,
                "channel": c.channel,
                "identity_id": c.identity_id,
                "state": c.state,
                "created_at": iso(c.created_at),
                "updated_at": iso(c.updated_at),
                "messages": [_message(m) for m in messages],
            }
        )
    return out, files


async def _tickets(s: AsyncSession, ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = (
        await s.execute(
            select(Ticket, TicketTrack, Agency.name, Domain.name)
            .outerjoin(TicketTrack, TicketTrack.ticket_id == Ticket.id)
            .outerjoin(Agency, Agency.id == TicketTrack.agency_id)
            .outerjoin(Domain, Domain.id == TicketTrack.domain_id)
            .where(Ticket.id.in_(ids))
            .order_by(Ticket.id)
        )
    ).all()
    events = (
        await s.execute(select(TicketEvent).where(TicketEvent.ticket_id.in_(ids)).order_by(TicketEvent.id))
    ).scalars()
    files = (
        await s.execute(select(TicketFile).where(TicketFile.ticket_id.in_(ids)).order_by(TicketFile.id))
    ).scalars()
    history: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        history.setdefault(e.ticket_id, []).append(
            {"at": iso(e.at), "action": e.action, "from": e.from_status, "to": e.to_status, "text": e.text}
        )
    kept: dict[int, list[dict[str, Any]]] = {}
    for f in files:
        kept.setdefault(f.ticket_id, []).append(
            {"name": f.name, "kind": f.kind, "mime_type": f.mime_type, "size": f.size}
        )
    out = []
    for t, tr, agency, domain in rows:
        fields = {k: _plain(getattr(tr, k)) for k in TRACK_FIELDS} if tr is not None else {}
        out.append(
            {
                "id": t.id,
                "code": t.code,
                "kind": t.kind,
                "channel": t.channel,
                "status": t.status,
                "content": t.content,
                "domain": domain or t.domain,
                "agency": agency or t.agency,
                "contact_snapshot": t.contact_snapshot,
                "created_at": iso(t.created_at),
                "due_at": iso(t.due_at),
                "answer": fields.get("answer"),
                "fields": fields,
                "events": history.get(t.id, []),
                "files": kept.get(t.id, []),
            }
        )
    return out


async def _announcements(s: AsyncSession, ids: Sequence[int], identity_ids: Sequence[int]) -> dict[str, Any]:
    """Announcements sent (or meant) to the contact's identities, its opt-outs and tags."""
    recipients = []
    opt_outs = []
    if identity_ids:
        for r, c in (
            await s.execute(
                select(CampaignRecipient, Campaign)
                .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
                .where(CampaignRecipient.identity_id.in_(identity_ids))
                .order_by(CampaignRecipient.id)
            )
        ).all():
            recipients.append(
                {
                    "campaign_id": c.id,
                    "title": c.title,
                    "channel": c.channel,
                    "identity_id": r.identity_id,
                    "status": r.status,
                    "reason": r.reason,
                    "sent_at": iso(r.sent_at),
                }
            )
        for o in (
            await s.execute(select(CampaignOptOut).where(CampaignOptOut.identity_id.in_(identity_ids)))
        ).scalars():
            opt_outs.append({"identity_id": o.identity_id, "at": iso(o.at)})
    tags = (
        await s.execute(select(ContactTag.tag).where(ContactTag.contact_id.in_(ids)).order_by(ContactTag.tag))
    ).scalars()
    return {"recipients": recipients, "opt_outs": opt_outs, "tags": sorted(set(tags))}


def _privacy_models() -> list[type[Any]]:
    """The mapped classes of ``storage.models_privacy`` (the data requests' tables, issue 18)
    that name a contact; none while that module defines none."""
    module = importlib.import_module("storage.models_privacy")
    found = []
    for value in vars(module).values():
        if isinstance(value, type) and value.__module__ == module.__name__ and hasattr(value, "__table__"):
            if "contact_id" in value.__table__.columns:
                found.append(value)
    return found


async def _data_requests(s: AsyncSession, ids: Sequence[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for model in _privacy_models():
        columns = [c.key for c in sa_inspect(model).column_attrs]
        rows = (await s.execute(select(model).where(model.contact_id.in_(ids)))).scalars()
        for row in rows:
            out.append({"table": model.__tablename__, **{k: _plain(getattr(row, k)) for k in columns}})
    return out


async def _survivor(s: AsyncSession, contact_id: int) -> Contact:
    """The contact, or the one it was merged into (which holds its data since the merge)."""
    contact = await s.get(Contact, contact_id)
    seen = {contact_id}
    while contact is not None and contact.merged_into_id is not None and contact.merged_into_id not in seen:
        seen.add(contact.merged_into_id)
        contact = await s.get(Contact, contact.merged_into_id)
    if contact is None:
        raise ExportNotFound("Không tìm thấy liên hệ")
    return contact


async def contact_export(s: AsyncSession, contact_id: int, now: datetime) -> dict[str, Any]:
    """Everything held about the contact (and the contacts merged into it), JSON-able. A
    contact merged into another is exported as that one (its data moved there).
    Raises :class:`ExportNotFound` for an unknown contact."""
    contact = await _survivor(s, contact_id)
    requested, contact_id = contact_id, contact.id
    ids = await contact_ids(s, contact_id)
    merged = [
        c
        for c in (
            await s.execute(select(Contact).where(Contact.id.in_(ids[1:])).order_by(Contact.id))
        ).scalars()
    ]
    identities = list(
        (
            await s.execute(
                select(ChannelIdentity)
                .where(ChannelIdentity.contact_id.in_(ids))
                .order_by(ChannelIdentity.id)
            )
        ).scalars()
    )
    convs = await conversation_ids(s, ids)
    conversations, attachments = await _conversations(s, convs)
    tickets = await ticket_ids(s, ids, convs)
    return {
        "contact_id": contact_id,
        "requested_contact_id": requested,
        "generated_at": iso(now),
        "contact": _contact(contact),
        "merged_contacts": [_contact(c) for c in merged],
        "identities": [_identity(i) for i in identities],
        "conversations": conversations,
        "attachments": attachments,
        "tickets": await _tickets(s, tickets),
        "announcements": await _announcements(s, ids, [i.id for i in identities]),
        "data_requests": await _data_requests(s, ids),
        "access_log": await access_log(s, contact_id),
    }
