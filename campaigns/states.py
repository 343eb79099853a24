"""Every change of a campaign's row, in one place: compose and edit a draft, submit it,
approve or reject it (four eyes: never by its author or submitter), cancel it, and the
sender's steps (start sending, finish, halt with a notice to the sender). Each function
works in the caller's transaction and raises :class:`CampaignError` when the change is not
allowed from the campaign's state; the caller records the audit row.

draft → submitted → approved → sending → done; submitted → rejected (→ draft by an edit);
draft/submitted/approved/sending/halted → cancelled; sending → halted → sending (resume)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.errors import CampaignError
from campaigns.rules import CampaignInput
from storage.models_campaigns import Campaign
from storage.models_campaigns import CampaignStatus as St
from storage.models_console import Notification, User

LABELS = {
    St.DRAFT: "bản nháp",
    St.SUBMITTED: "chờ duyệt",
    St.APPROVED: "đã duyệt",
    St.SENDING: "đang gửi",
    St.DONE: "đã gửi xong",
    St.REJECTED: "bị từ chối",
    St.CANCELLED: "đã hủy",
    St.HALTED: "bị dừng",
}
CANCELLABLE = (St.DRAFT, St.SUBMITTED, St.APPROVED, St.SENDING, St.HALTED)
HALTED_NOTICE = "campaign_halted"


async def load(s: AsyncSession, campaign_id: int, *, lock: bool = False) -> Campaign:
    query = select(Campaign).where(Campaign.id == campaign_id)
    row = (await s.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if row is None:
        raise CampaignError("Không tìm thấy thông báo", 404)
    return row


def _must_be(c: Campaign, allowed: tuple[St, ...], what: str) -> None:
    if c.status not in {a.value for a in allowed}:
        raise CampaignError(
            f"Không thể {what} thông báo đang ở trạng thái {LABELS.get(St(c.status), c.status)}", 409
        )


def create(s: AsyncSession, data: CampaignInput, user_id: int, now: datetime) -> Campaign:
    row = Campaign(
        **asdict(data), status=St.DRAFT.value, created_by_id=user_id, created_at=now, updated_at=now
    )
    s.add(row)
    return row


async def edit(
    s: AsyncSession, campaign_id: int, data: CampaignInput, user_id: int, now: datetime
) -> Campaign:
    """A draft's (or a rejected campaign's, which becomes a draft again) content, by its
    author only: whoever wrote the words can never be the one who approves them."""
    c = await load(s, campaign_id, lock=True)
    _must_be(c, (St.DRAFT, St.REJECTED), "sửa")
    if user_id != c.created_by_id:
        raise CampaignError("Chỉ người soạn mới sửa được thông báo này", 403)
    for key, value in asdict(data).items():
        setattr(c, key, value)
    c.status, c.reject_reason, c.submitted_by_id = St.DRAFT.value, None, None
    c.decided_by_id, c.decided_at, c.updated_at = None, None, now
    return c


async def submit(s: AsyncSession, campaign_id: int, user_id: int, now: datetime) -> Campaign:
    c = await load(s, campaign_id, lock=True)
    _must_be(c, (St.DRAFT,), "gửi duyệt")
    c.status, c.submitted_by_id, c.updated_at = St.SUBMITTED.value, user_id, now
    return c


async def approve(s: AsyncSession, campaign_id: int, user_id: int, now: datetime) -> Campaign:
    """Four eyes: the approver is neither the author nor the one who submitted it."""
    c = await load(s, campaign_id, lock=True)
    _must_be(c, (St.SUBMITTED,), "duyệt")
    if user_id in (c.created_by_id, c.submitted_by_id):
        raise CampaignError("Người duyệt phải là người khác với người soạn và người gửi duyệt (bốn mắt)", 403)
    c.status, c.decided_by_id, c.decided_at, c.updated_at = St.APPROVED.value, user_id, now, now
    return c


async def reject(s: AsyncSession, campaign_id: int, user_id: int, reason: str, now: datetime) -> Campaign:
    c = await load(s, campaign_id, lock=True)
    _must_be(c, (St.SUBMITTED,), "từ chối")
    if not reason.strip():
        raise CampaignError("Cần ghi lý do từ chối")
    c.status, c.reject_reason = St.REJECTED.value, reason.strip()
    c.decided_by_id, c.decided_at, c.updated_at = user_id, now, now
    return c


async def cancel(s: AsyncSession, campaign_id: int, now: datetime) -> Campaign:
    c = await load(s, campaign_id, lock=True)
    _must_be(c, CANCELLABLE, "hủy")
    c.status, c.finished_at, c.updated_at = St.CANCELLED.value, now, now
    return c


async def resume(s: AsyncSession, campaign_id: int, user_id: int, now: datetime) -> Campaign:
    """A halted campaign goes on (e.g. the OA's package was upgraded): its pending recipients."""
    c = await load(s, campaign_id, lock=True)
    _must_be(c, (St.HALTED,), "gửi tiếp")
    c.status, c.halt_reason, c.halt_message, c.updated_at = St.SENDING.value, None, None, now
    return c


# --------------------------------------------------------------------------- the sender's steps


async def start_sending(s: AsyncSession, campaign_id: int, now: datetime) -> bool:
    """approved → sending; True for the one transaction (of all workers) that moved it."""
    moved = await s.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == St.APPROVED.value)
        .values(status=St.SENDING.value, started_at=now, updated_at=now)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def claim(s: AsyncSession, campaign_id: int, token: str, ttl: float, now: datetime) -> bool:
    """Hold a sending campaign for one worker's campaign-wide step (an article's creation)."""
    moved = await s.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.status == St.SENDING.value,
            or_(Campaign.claimed_until.is_(None), Campaign.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=ttl), claim_token=token)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def set_vendor_ref(s: AsyncSession, campaign_id: int, ref: str, now: datetime) -> None:
    await s.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(vendor_ref=ref, claimed_until=None, updated_at=now)
    )


async def finish(s: AsyncSession, campaign_id: int, now: datetime) -> bool:
    moved = await s.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == St.SENDING.value)
        .values(status=St.DONE.value, finished_at=now, updated_at=now, claimed_until=None)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def halt(
    s: AsyncSession, campaign_id: int, reason: str, message: str, now: datetime
) -> Notification | None:
    """sending → halted, and a notice for the sender's role; None when it was not sending."""
    moved = await s.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == St.SENDING.value)
        .values(status=St.HALTED.value, halt_reason=reason, halt_message=message, updated_at=now)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return None
    c = await load(s, campaign_id)
    author = await s.get(User, c.created_by_id) if c.created_by_id else None
    notice = Notification(
        role=author.role if author else "supervisor",
        agency_id=None,
        ticket_id=None,
        kind=HALTED_NOTICE,
        text=f"Thông báo «{c.title}» đã bị dừng: {message}",
        read=False,
        created_at=now,
    )
    s.add(notice)
    return notice
