"""The access log of one contact: "who looked at this citizen's data" (issue 18, section 4).

The console already audits every look at a citizen's data (``bot/console/core.py``
``audit_view`` / ``audit_action``, rows of ``storage.models_console.AuditLog``):

* ``object_type="contact"``, ``object_id`` the contact: edits, merges, tags, the copy
  export (``contact_export``), the access log itself (``contact_access_log``);
* ``object_type="conversation"``: ``view_conversation``, take over, replies, notes, close;
* ``object_type="ticket"``: ``view_ticket``, every workflow action, a recording's download;
* ``object_type="data_request"``: the contact's data requests viewed and handled;
* ``search_contacts`` rows name the contacts a search showed in ``detail["contact_ids"]``;
* ``api_request`` rows of the integration API (``bot/api_v1/auth.py``, no user: the token's
  name is in ``detail["token"]``) whose path reads one of the contact's tickets.

This module only reads: it finds the contact's ids (itself and the contacts merged into it),
its conversations and its tickets, and returns the audit rows that name any of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import as_utc
from storage.models import Contact, Conversation, Ticket
from storage.models_console import AuditLog
from storage.models_privacy import DataRequest

SEARCH_ACTION = "search_contacts"
API_READ = "api_request"  # bot/api_v1/auth.py: one row per request, detail {token, method, path, scope}
# how many of the newest search rows are read to find those that showed this contact
SEARCH_SCAN = 5000
HIDDEN_DETAIL = frozenset({"q", "q_chars", "contact_ids"})


async def contact_ids(s: AsyncSession, contact_id: int) -> list[int]:
    """The contact and every contact merged into it (merges of merges too), the contact first."""
    ids = [contact_id]
    frontier = [contact_id]
    while frontier:
        rows = (await s.execute(select(Contact.id).where(Contact.merged_into_id.in_(frontier)))).scalars()
        frontier = [int(i) for i in rows if int(i) not in ids]
        ids.extend(frontier)
    return ids


async def conversation_ids(s: AsyncSession, ids: Sequence[int]) -> list[int]:
    rows = await s.execute(
        select(Conversation.id).where(Conversation.contact_id.in_(ids)).order_by(Conversation.id)
    )
    return [int(i) for i in rows.scalars()]


async def ticket_ids(s: AsyncSession, ids: Sequence[int], conv_ids: Sequence[int]) -> list[int]:
    """Tickets of the contact, or opened on one of its conversations."""
    cond: ColumnElement[bool] = Ticket.contact_id.in_(ids)
    if conv_ids:
        cond = or_(cond, Ticket.conversation_id.in_(conv_ids))
    rows = await s.execute(select(Ticket.id).where(cond).order_by(Ticket.id))
    return [int(i) for i in rows.scalars()]


async def request_ids(s: AsyncSession, ids: Sequence[int]) -> list[int]:
    rows = await s.execute(
        select(DataRequest.id).where(DataRequest.contact_id.in_(ids)).order_by(DataRequest.id)
    )
    return [int(i) for i in rows.scalars()]


def _names(object_type: str, ids: Iterable[int]) -> ColumnElement[bool] | None:
    keys = [str(i) for i in ids]
    if not keys:
        return None
    return and_(AuditLog.object_type == object_type, AuditLog.object_id.in_(keys))


def _iso(value: datetime | None) -> str | None:
    at = as_utc(value)
    return at.isoformat() if at else None


def _detail(detail: Any) -> dict[str, Any] | None:
    """The row's detail without what a search carried: the words typed (often this or another
    citizen's name or phone) and the other contacts it showed."""
    if not isinstance(detail, dict):
        return None
    kept = {k: v for k, v in detail.items() if k not in HIDDEN_DETAIL}
    return kept or None


def row_dict(row: AuditLog) -> dict[str, Any]:
    """One line of the access log (JSON-able)."""
    return {
        "id": row.id,
        "at": _iso(row.at),
        "user_id": row.user_id,
        "username": row.username,
        "role": row.role,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "ip": row.ip,
        "detail": _detail(row.detail),
    }


async def _searches(s: AsyncSession, ids: Sequence[int], limit: int) -> list[AuditLog]:
    """The newest contact searches whose results showed one of ``ids``."""
    wanted = set(ids)
    rows = (
        await s.execute(
            select(AuditLog)
            .where(AuditLog.action == SEARCH_ACTION, AuditLog.object_type == "contact")
            .order_by(AuditLog.id.desc())
            .limit(SEARCH_SCAN)
        )
    ).scalars()
    found = []
    for row in rows:
        shown = (row.detail or {}).get("contact_ids") if isinstance(row.detail, dict) else None
        if isinstance(shown, list) and wanted.intersection(i for i in shown if isinstance(i, int)):
            found.append(row)
            if len(found) >= limit:
                break
    return found


async def _api_reads(s: AsyncSession, tickets: Sequence[int], limit: int) -> list[AuditLog]:
    """Requests of the integration API that read one of these tickets (``GET
    /api/v1/tickets/{code}``): the audit row names the token, its path names the ticket."""
    if not tickets:
        return []
    codes = [
        str(c).upper() for c in (await s.execute(select(Ticket.code).where(Ticket.id.in_(tickets)))).scalars()
    ]
    detail = cast(AuditLog.detail, Text)
    rows = (
        await s.execute(
            select(AuditLog)
            .where(AuditLog.action == API_READ, or_(*(detail.ilike(f"%/tickets/{code}%") for code in codes)))
            .order_by(AuditLog.id.desc())
            .limit(limit)
        )
    ).scalars()
    suffixes = tuple(f"/TICKETS/{code}" for code in codes)
    return [r for r in rows if str((r.detail or {}).get("path", "")).upper().endswith(suffixes)]


async def access_log(s: AsyncSession, contact_id: int, *, limit: int = 500) -> list[dict[str, Any]]:
    """Who looked at or acted on this contact's data: audit rows naming the contact (or a
    contact merged into it), one of its conversations or one of its tickets, and the contact
    searches that showed it; newest first, at most ``limit``."""
    ids = await contact_ids(s, contact_id)
    convs = await conversation_ids(s, ids)
    tickets = await ticket_ids(s, ids, convs)
    named = (
        _names("contact", ids),
        _names("conversation", convs),
        _names("ticket", tickets),
        _names("data_request", await request_ids(s, ids)),
    )
    conds = [c for c in named if c is not None]
    rows = list(
        (
            await s.execute(select(AuditLog).where(or_(*conds)).order_by(AuditLog.id.desc()).limit(limit))
        ).scalars()
    )
    rows += await _searches(s, ids, limit)
    rows += await _api_reads(s, tickets, limit)
    rows.sort(key=lambda r: r.id, reverse=True)
    return [row_dict(r) for r in rows[:limit]]
