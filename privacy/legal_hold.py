"""Legal holds (issue 18): a contact, ticket or conversation kept from the retention job and
from anonymisation (an inspection, a complaint, a court case) until the hold is released.
The one writer of ``legal_holds``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Conversation, Ticket
from storage.models_retention import HOLD_KINDS, LegalHold

MAX_REASON = 2000
HOLD_NOT_FOUND = "Không tìm thấy lệnh giữ hồ sơ"
MODELS: dict[str, type[Contact] | type[Ticket] | type[Conversation]] = {
    "contact": Contact,
    "ticket": Ticket,
    "conversation": Conversation,
}
NOT_FOUND = {
    "contact": "Không tìm thấy liên hệ",
    "ticket": "Không tìm thấy phiếu",
    "conversation": "Không tìm thấy cuộc hội thoại",
}


class LegalHoldError(ValueError):
    """A hold cannot be set or released (the message, in Vietnamese, says why)."""


async def place(
    s: AsyncSession,
    kind: str,
    object_id: int,
    reason: str,
    now: datetime,
    *,
    by: str | None,
    by_id: int | None,
) -> LegalHold:
    """Put ``kind``/``object_id`` under a hold (in the caller's transaction)."""
    if kind not in HOLD_KINDS:
        raise LegalHoldError(f"Loại đối tượng không hợp lệ: {kind!r} (cần một trong {', '.join(HOLD_KINDS)})")
    reason = reason.strip()
    if not reason:
        raise LegalHoldError("Cần ghi lý do giữ hồ sơ")
    if await s.get(MODELS[kind], object_id) is None:
        raise LegalHoldError(NOT_FOUND[kind])
    if len(reason) > MAX_REASON:
        raise LegalHoldError(f"Lý do dài quá {MAX_REASON} ký tự")
    hold = LegalHold(
        object_kind=kind, object_id=object_id, reason=reason, set_by=by, set_by_id=by_id, set_at=now
    )
    s.add(hold)
    await s.flush()
    return hold


async def release(s: AsyncSession, hold_id: int, now: datetime, *, by: str | None) -> LegalHold:
    hold = await s.get(LegalHold, hold_id)
    if hold is None:
        raise LegalHoldError(HOLD_NOT_FOUND)
    if hold.released_at is not None:
        raise LegalHoldError("Lệnh giữ hồ sơ này đã được gỡ")
    hold.released_at, hold.released_by = now, by
    return hold


async def active(s: AsyncSession, kind: str | None = None) -> list[LegalHold]:
    """Holds not released, oldest first (of one kind if given)."""
    q = select(LegalHold).where(LegalHold.released_at.is_(None))
    if kind is not None:
        q = q.where(LegalHold.object_kind == kind)
    return list((await s.scalars(q.order_by(LegalHold.id))).all())


async def held_ids(s: AsyncSession, kind: str) -> set[int]:
    """Ids of ``kind`` under an active hold."""
    return {h.object_id for h in await active(s, kind)}


async def holds_on(s: AsyncSession, kind: str, ids: Iterable[int]) -> list[LegalHold]:
    wanted = list(ids)
    if not wanted:
        return []
    q = select(LegalHold).where(
        LegalHold.released_at.is_(None), LegalHold.object_kind == kind, LegalHold.object_id.in_(wanted)
    )
    return list((await s.scalars(q.order_by(LegalHold.id))).all())
