"""Anonymisation of a citizen (issue 18): what a deletion request and the retention job do.

Nothing of the person is left: the contact's name, phone, e-mail, address, organisation;
the channel identities' names and profiles (the external id becomes a placeholder
``anon:<id>``, so a later message from the same real account makes a new contact and is
never linked to the anonymised one); every message text of the contact's conversations
(a marker instead), attachments' files deleted and their names cleared; the tickets'
citizen fields, content, events' texts and search text; published answers of those tickets
withdrawn and their text cleared; web chat sessions, campaign recipients' ids, opt-outs and
tags; webhook payloads; API sources' references; FAQ feedback quoting the messages.

Records under :func:`kept_records` (a ticket within its retention period, a legal hold) are
never touched: the caller refuses a deletion with their ``basis``. Everything runs in the
caller's transaction; files are deleted from disk at once (a rollback cannot bring them
back: they were to be deleted anyway). :mod:`privacy.anonymise_tables` does the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy import anonymise_tables as tables
from privacy import copy_links, requests
from privacy.anonymise_tables import AnonymiseCounts
from privacy.legal_hold import holds_on
from storage.clock import as_utc
from storage.models import Contact, Conversation, Ticket
from storage.models_console import FINAL_STATUSES
from storage.models_retention import AnonymisedObject

__all__ = [
    "AnonymiseCounts",
    "KeptRecord",
    "KeptRecordError",
    "RetentionPolicy",
    "anonymise_contact",
    "anonymise_conversation",
    "anonymise_ticket",
    "kept_records",
]

DEFAULT_TICKET_BASIS = (
    "Hồ sơ giải quyết phản ánh, kiến nghị của công dân được lưu giữ {years} năm kể từ khi kết thúc "
    "theo quy định về lưu trữ (Luật Lưu trữ số 33/2024/QH15; thời hạn bảo quản hồ sơ, tài liệu) và "
    "được xử lý không cần sự đồng ý để thực hiện nhiệm vụ của cơ quan nhà nước (Luật Bảo vệ dữ liệu "
    "cá nhân số 91/2025/QH15)"
)
DEFAULT_OPEN_BASIS = "Phản ánh, kiến nghị đang được giải quyết: hồ sơ chưa kết thúc không thể xoá"
DEFAULT_HOLD_BASIS = "Hồ sơ đang được giữ theo yêu cầu của cơ quan có thẩm quyền: {reason}"


class KeptRecordError(ValueError):
    """Anonymisation was asked of a record that must be kept."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise ValueError(f"{name}: cần một số nguyên dương, nhận {raw!r}") from err
    if value < 1:
        raise ValueError(f"{name}: cần một số nguyên dương, nhận {raw!r}")
    return value


@dataclass(frozen=True)
class RetentionPolicy:
    """How long records are kept (settings ``HUB_RETENTION_*``) and the legal bases quoted
    when a record is kept (``{years}``/``{reason}`` filled in)."""

    conversation_months: int = 12
    ticket_years: int = 5
    recording_years: int = 2
    request_years: int = 5
    ticket_basis: str = DEFAULT_TICKET_BASIS
    open_basis: str = DEFAULT_OPEN_BASIS
    hold_basis: str = DEFAULT_HOLD_BASIS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RetentionPolicy:
        return cls(
            conversation_months=_int(env, "HUB_RETENTION_CONVERSATION_MONTHS", 12),
            ticket_years=_int(env, "HUB_RETENTION_TICKET_YEARS", 5),
            recording_years=_int(env, "HUB_RETENTION_RECORDING_YEARS", 2),
            request_years=_int(env, "HUB_RETENTION_REQUEST_YEARS", 5),
            ticket_basis=env.get("HUB_RETENTION_BASIS_TICKET") or DEFAULT_TICKET_BASIS,
            open_basis=env.get("HUB_RETENTION_BASIS_OPEN") or DEFAULT_OPEN_BASIS,
            hold_basis=env.get("HUB_RETENTION_BASIS_HOLD") or DEFAULT_HOLD_BASIS,
        )


@dataclass(frozen=True)
class KeptRecord:
    """A record that must be kept: ``kind`` ``ticket``/``conversation``/``contact``, its id,
    a label for the citizen ("Phiếu TH-2026-000012") and the legal basis (Vietnamese)."""

    kind: str
    id: int
    label: str
    basis: str


def add_years(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def add_months(when: datetime, months: int) -> datetime:
    total = when.month - 1 + months
    year, month = when.year + total // 12, total % 12 + 1
    for day in (when.day, 30, 29, 28):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def ticket_kept_until(ticket: Ticket, policy: RetentionPolicy) -> datetime | None:
    """When a closed ticket's retention ends (counted from its last change); None: open."""
    if ticket.status not in FINAL_STATUSES:
        return None
    return add_years(as_utc(ticket.updated_at) or ticket.updated_at, policy.ticket_years)


async def contact_ids(s: AsyncSession, contact_id: int) -> list[int]:
    """The contact and every contact merged into it (directly or through another)."""
    found, todo = [contact_id], [contact_id]
    while todo:
        rows = (await s.scalars(select(Contact.id).where(Contact.merged_into_id.in_(todo)))).all()
        todo = [r for r in rows if r not in found]
        found += todo
    return found


async def _tickets(s: AsyncSession, ids: list[int]) -> list[Ticket]:
    conv_ids = select(Conversation.id).where(Conversation.contact_id.in_(ids))
    q = select(Ticket).where((Ticket.contact_id.in_(ids)) | (Ticket.conversation_id.in_(conv_ids)))
    return list((await s.scalars(q.order_by(Ticket.id))).all())


async def _done(s: AsyncSession, kind: str, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` were anonymised already."""
    if not ids:
        return set()
    q = select(AnonymisedObject.object_id).where(
        AnonymisedObject.object_kind == kind, AnonymisedObject.object_id.in_(list(ids))
    )
    return set((await s.scalars(q)).all())


async def kept_records(
    s: AsyncSession, contact_id: int, now: datetime, policy: RetentionPolicy
) -> list[KeptRecord]:
    """What of this contact must be kept: tickets open or within their retention period,
    records under a legal hold. Empty: the contact may be anonymised."""
    ids = await contact_ids(s, contact_id)
    kept: list[KeptRecord] = []
    for h in await holds_on(s, "contact", ids):
        kept.append(KeptRecord("contact", h.object_id, "Thông tin người dân", _hold(policy, h.reason)))
    found = await _tickets(s, ids)
    done = await _done(s, "ticket", [t.id for t in found])
    tickets = [t for t in found if t.id not in done]
    held = {h.object_id: h.reason for h in await holds_on(s, "ticket", [t.id for t in tickets])}
    for t in tickets:
        label = f"Phiếu {t.code}"
        until = ticket_kept_until(t, policy)
        if t.id in held:
            kept.append(KeptRecord("ticket", t.id, label, _hold(policy, held[t.id])))
        elif until is None:
            kept.append(KeptRecord("ticket", t.id, label, policy.open_basis))
        elif until > now:
            basis = policy.ticket_basis.format(years=policy.ticket_years)
            kept.append(KeptRecord("ticket", t.id, f"{label} (lưu đến {until:%d/%m/%Y})", basis))
    conv_ids = list((await s.scalars(select(Conversation.id).where(Conversation.contact_id.in_(ids)))).all())
    for h in await holds_on(s, "conversation", conv_ids):
        label = f"Cuộc hội thoại số {h.object_id}"
        kept.append(KeptRecord("conversation", h.object_id, label, _hold(policy, h.reason)))
    return kept


def _hold(policy: RetentionPolicy, reason: str) -> str:
    return policy.hold_basis.format(reason=reason)


def _mark(s: AsyncSession, kind: str, object_id: int, reason: str, now: datetime) -> None:
    s.add(AnonymisedObject(object_kind=kind, object_id=object_id, reason=reason[:100], at=now))


async def anonymise_ticket(
    s: AsyncSession, ticket_id: int, now: datetime, *, media_dir: Path, reason: str, counts: AnonymiseCounts
) -> None:
    """One ticket's citizen data (not its conversation: see :func:`anonymise_conversation`)."""
    if await _done(s, "ticket", [ticket_id]):
        return
    await tables.scrub_ticket(s, ticket_id, now, media_dir, counts)
    _mark(s, "ticket", ticket_id, reason, now)
    counts.tickets += 1


async def anonymise_conversation(
    s: AsyncSession,
    conversation_id: int,
    now: datetime,
    *,
    media_dir: Path,
    reason: str,
    counts: AnonymiseCounts,
) -> None:
    """One conversation: its messages' texts and attachments, its dialogue state."""
    if await _done(s, "conversation", [conversation_id]):
        return
    await tables.scrub_conversation(s, conversation_id, media_dir, counts)
    _mark(s, "conversation", conversation_id, reason, now)
    counts.conversations += 1


async def anonymise_profile(
    s: AsyncSession, contact_id: int, now: datetime, *, reason: str, counts: AnonymiseCounts
) -> None:
    """The contact itself: profile, identities, sessions, campaign rows, tags, and the links
    to download its copy."""
    if await _done(s, "contact", [contact_id]):
        return
    await tables.scrub_contact(s, contact_id, now, counts)
    await copy_links.forget(s, contact_ids=[contact_id])
    _mark(s, "contact", contact_id, reason, now)
    counts.contacts += 1


async def anonymise_contact(
    s: AsyncSession,
    contact_id: int,
    now: datetime,
    *,
    media_dir: Path,
    reason: str,
    keep: Sequence[KeptRecord] = (),
) -> AnonymiseCounts:
    """Anonymise the contact (and contacts merged into it), its conversations and tickets,
    except the tickets and conversations in ``keep`` (with the conversation of a kept
    ticket). A kept contact raises :class:`KeptRecordError`. In the caller's transaction."""
    kept = {(k.kind, k.id) for k in keep}
    ids = await contact_ids(s, contact_id)
    if any(("contact", i) in kept for i in ids):
        raise KeptRecordError("Thông tin người dân đang được giữ: không thể ẩn danh")
    counts = AnonymiseCounts()
    kept_convs = {i for kind, i in kept if kind == "conversation"}
    for t in await _tickets(s, ids):
        if ("ticket", t.id) in kept:
            if t.conversation_id is not None:
                kept_convs.add(t.conversation_id)
            continue
        await anonymise_ticket(s, t.id, now, media_dir=media_dir, reason=reason, counts=counts)
    convs = (await s.scalars(select(Conversation.id).where(Conversation.contact_id.in_(ids)))).all()
    for conv_id in convs:
        if conv_id not in kept_convs:
            await anonymise_conversation(s, conv_id, now, media_dir=media_dir, reason=reason, counts=counts)
    for cid in ids:
        await anonymise_profile(s, cid, now, reason=reason, counts=counts)
    # the person's data requests keep kind, dates and status, lose their words and address
    await requests.scrub_contact(s, list(ids))
    await s.flush()
    return counts
