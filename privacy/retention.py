"""The daily retention job (issue 18): applies :class:`RetentionPolicy` once a local day.

=================================== ========= =============================================
``HUB_RETENTION_CONVERSATION_MONTHS`` ``12``  a conversation without a ticket, idle this long, is anonymised
``HUB_RETENTION_TICKET_YEARS``      ``5``     a finished ticket is kept this long after its last change
``HUB_RETENTION_RECORDING_YEARS``   ``2``     a call recording's file is deleted after this
``HUB_RETENTION_REQUEST_YEARS``     ``5``     an answered or refused data request is kept this long
``HUB_RETENTION_HOUR``              ``2``     local hour (the hotline's time zone) of the run
``HUB_RETENTION_ENABLED``           ``true``  ``false``: the job does nothing
``HUB_RETENTION_BASIS_TICKET``      (text)    legal basis quoted when a ticket is kept (``{years}``)
``HUB_RETENTION_BASIS_OPEN``        (text)    … when the ticket is still being handled
``HUB_RETENTION_BASIS_HOLD``        (text)    … when a legal hold keeps it (``{reason}``)
=================================== ========= =============================================

Nothing under a legal hold (on the contact, the conversation or the ticket) is touched. A
run is one transaction: the ``retention_runs`` row of the local day (its primary key), the
anonymisations and one audit entry ``retention_run`` with the counts; a second run the same
day finds the row and does nothing. The one writer of ``retention_runs``; ``data_requests`` rows past
``HUB_RETENTION_REQUEST_YEARS`` (not named by a restriction) are deleted through
:func:`privacy.requests.expire`, with their copy links and the expired one-time codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy import requests
from privacy.anonymise import (
    RetentionPolicy,
    add_months,
    add_years,
    anonymise_conversation,
    anonymise_profile,
    anonymise_ticket,
)
from privacy.anonymise_tables import AnonymiseCounts, delete_ticket_files
from privacy.legal_hold import held_ids
from storage.models import Conversation, Ticket, WebhookFailure
from storage.models_console import FINAL_STATUSES, AuditLog, TicketFile
from storage.models_retention import AnonymisedObject, RetentionRun

__all__ = ["RetentionPolicy", "RetentionSettings", "apply_policy", "load", "run_for_day"]

REASON = "retention"
HOTLINE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class RetentionSettings:
    policy: RetentionPolicy = field(default_factory=RetentionPolicy)
    hour: int = 2
    enabled: bool = True
    timezone: ZoneInfo = HOTLINE_TZ


def load(env: Mapping[str, str], timezone: ZoneInfo = HOTLINE_TZ) -> RetentionSettings:
    raw_hour = (env.get("HUB_RETENTION_HOUR") or "2").strip()
    if not raw_hour.isdigit() or not 0 <= int(raw_hour) <= 23:
        raise ValueError(f"HUB_RETENTION_HOUR: cần một giờ từ 0 đến 23, nhận {raw_hour!r}")
    raw_on = (env.get("HUB_RETENTION_ENABLED") or "true").strip().lower()
    if raw_on not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise ValueError(f"HUB_RETENTION_ENABLED: cần true hoặc false, nhận {raw_on!r}")
    return RetentionSettings(
        policy=RetentionPolicy.from_env(env),
        hour=int(raw_hour),
        enabled=raw_on in ("true", "1", "yes", "on"),
        timezone=timezone,
    )


@dataclass
class _Holds:
    contacts: set[int]
    conversations: set[int]
    tickets: set[int]

    def ticket(self, t: Ticket) -> bool:
        return (
            t.id in self.tickets
            or (t.contact_id is not None and t.contact_id in self.contacts)
            or (t.conversation_id is not None and t.conversation_id in self.conversations)
        )


def _not_done(kind: str, column: Any) -> Any:
    return ~exists().where(and_(AnonymisedObject.object_kind == kind, AnonymisedObject.object_id == column))


async def _tickets(
    s: AsyncSession, now: datetime, policy: RetentionPolicy, holds: _Holds, c: AnonymiseCounts, media: Path
) -> set[int]:
    cutoff = add_years(now, -policy.ticket_years)
    q = select(Ticket).where(
        Ticket.status.in_([st.value for st in FINAL_STATUSES]),
        Ticket.updated_at < cutoff,
        _not_done("ticket", Ticket.id),
    )
    touched: set[int] = set()
    for t in (await s.scalars(q.order_by(Ticket.id))).all():
        if holds.ticket(t):
            continue
        await anonymise_ticket(s, t.id, now, media_dir=media, reason=REASON, counts=c)
        if t.conversation_id is not None:
            await anonymise_conversation(s, t.conversation_id, now, media_dir=media, reason=REASON, counts=c)
        if t.contact_id is not None:
            touched.add(t.contact_id)
    return touched


async def _recordings(
    s: AsyncSession, now: datetime, policy: RetentionPolicy, holds: _Holds, c: AnonymiseCounts, media: Path
) -> None:
    cutoff = add_years(now, -policy.recording_years)
    q = select(TicketFile, Ticket).join(Ticket, Ticket.id == TicketFile.ticket_id)
    q = q.where(TicketFile.kind == "recording", TicketFile.created_at < cutoff)
    due = [(f.id, f.ticket_id) for f, t in (await s.execute(q)).all() if not holds.ticket(t)]
    if due:
        await delete_ticket_files(s, [t for _, t in due], media, c, ids=[f for f, _ in due])


async def _conversations(
    s: AsyncSession, now: datetime, policy: RetentionPolicy, holds: _Holds, c: AnonymiseCounts, media: Path
) -> set[int]:
    cutoff = add_months(now, -policy.conversation_months)
    has_ticket = exists().where(Ticket.conversation_id == Conversation.id)
    q = select(Conversation.id, Conversation.contact_id).where(
        Conversation.updated_at < cutoff, ~has_ticket, _not_done("conversation", Conversation.id)
    )
    touched: set[int] = set()
    for conv_id, contact_id in (await s.execute(q.order_by(Conversation.id))).all():
        if conv_id in holds.conversations or contact_id in holds.contacts:
            continue
        await anonymise_conversation(s, conv_id, now, media_dir=media, reason=REASON, counts=c)
        touched.add(contact_id)
    return touched


async def _nothing_left(s: AsyncSession, contact_id: int) -> bool:
    """Every conversation and ticket of the contact is anonymised."""
    convs = select(Conversation.id).where(
        Conversation.contact_id == contact_id, _not_done("conversation", Conversation.id)
    )
    tickets = select(Ticket.id).where(Ticket.contact_id == contact_id, _not_done("ticket", Ticket.id))
    return (await s.scalar(convs.limit(1))) is None and (await s.scalar(tickets.limit(1))) is None


async def apply_policy(
    s: AsyncSession, now: datetime, policy: RetentionPolicy, media_dir: Path
) -> dict[str, int]:
    """Anonymise or delete what is due at ``now`` (in the caller's transaction); the counts."""
    holds = _Holds(
        await held_ids(s, "contact"), await held_ids(s, "conversation"), await held_ids(s, "ticket")
    )
    c = AnonymiseCounts()
    touched = await _tickets(s, now, policy, holds, c, media_dir)
    await _recordings(s, now, policy, holds, c, media_dir)
    touched |= await _conversations(s, now, policy, holds, c, media_dir)
    await s.flush()
    for contact_id in sorted(touched - holds.contacts):
        if await _nothing_left(s, contact_id):
            await anonymise_profile(s, contact_id, now, reason=REASON, counts=c)
    cutoff = add_months(now, -policy.conversation_months)
    res = await s.execute(delete(WebhookFailure).where(WebhookFailure.received_at < cutoff))
    counts = c.as_dict()
    counts["webhook_failures"] = int(res.rowcount or 0)  # type: ignore[attr-defined]
    counts["data_requests"] = await requests.expire(
        s, add_years(now, -policy.request_years), now, keep_contacts=holds.contacts
    )
    counts["held"] = len(holds.contacts) + len(holds.conversations) + len(holds.tickets)
    return counts


async def run_for_day(
    s: AsyncSession, now: datetime, settings: RetentionSettings, media_dir: Path
) -> dict[str, int] | None:
    """The run of ``now``'s local day if it is due (the hour reached, not yet run that day):
    its counts, audited; None when nothing was due. In the caller's transaction."""
    if not settings.enabled:
        return None
    local = now.astimezone(settings.timezone)
    if local.hour < settings.hour or await s.get(RetentionRun, local.date()) is not None:
        return None
    run = RetentionRun(day=local.date(), started_at=now)
    s.add(run)
    await s.flush()  # a second worker racing for the same day fails here
    counts = await apply_policy(s, now, settings.policy, media_dir)
    run.finished_at, run.counts = now, counts
    s.add(
        AuditLog(
            at=now,
            action="retention_run",
            object_type="retention",
            object_id=local.date().isoformat(),
            detail={"counts": counts, "policy": _policy_detail(settings.policy)},
        )
    )
    return counts


def _policy_detail(p: RetentionPolicy) -> dict[str, int]:
    return {
        "conversation_months": p.conversation_months,
        "ticket_years": p.ticket_years,
        "recording_years": p.recording_years,
        "request_years": p.request_years,
    }
