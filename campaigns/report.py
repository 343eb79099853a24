"""A campaign's report: its recipients counted by status and skip reason, its timing;
as a dict (JSON) and as CSV rows (one per recipient). Read-only."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import states
from storage.clock import as_utc
from storage.models_campaigns import CampaignRecipient as R
from storage.models_campaigns import CampaignStatus, RecipientStatus

REASONS = {
    "opted_out": "đã hủy đăng ký nhận tin",
    "not_follower": "không còn quan tâm OA",
    "user_quota": "hết hạn mức nhận tin",
    "user_restricted": "đã chặn loại tin này",
    "user_inactive": "tài khoản bị khoá hoặc lâu không dùng",
    "restricted": "đã yêu cầu hạn chế xử lý dữ liệu",
}
RECIPIENT_LABELS = {
    RecipientStatus.PENDING: "chờ gửi",
    RecipientStatus.SENT: "đã gửi",
    RecipientStatus.SKIPPED: "bỏ qua",
    RecipientStatus.FAILED: "lỗi",
}
CSV_HEADER = [
    "identity_id",
    "external_id",
    "status",
    "trạng thái",
    "reason",
    "lý do",
    "attempts",
    "sent_at",
    "error",
]


def _iso(value: datetime | None) -> str | None:
    when = as_utc(value)
    return when.isoformat() if when else None


async def counts(s: AsyncSession, campaign_id: int) -> dict[str, Any]:
    rows = (
        await s.execute(
            select(R.status, R.reason, func.count())
            .where(R.campaign_id == campaign_id)
            .group_by(R.status, R.reason)
        )
    ).all()
    by_status = {st.value: 0 for st in RecipientStatus}
    by_reason: dict[str, int] = {}
    for status, reason, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status == RecipientStatus.SKIPPED.value and reason:
            by_reason[reason] = by_reason.get(reason, 0) + n
    return {"total": sum(by_status.values()), "by_status": by_status, "skipped_by_reason": by_reason}


async def report(s: AsyncSession, campaign_id: int) -> dict[str, Any]:
    c = await states.load(s, campaign_id)
    first, last = (
        await s.execute(select(func.min(R.sent_at), func.max(R.sent_at)).where(R.campaign_id == campaign_id))
    ).one()
    return {
        "id": c.id,
        "title": c.title,
        "status": c.status,
        "status_label": states.LABELS.get(CampaignStatus(c.status), c.status),
        "halt_reason": c.halt_reason,
        "halt_message": c.halt_message,
        "counts": await counts(s, campaign_id),
        "reason_labels": REASONS,
        "timing": {
            "scheduled_at": _iso(c.scheduled_at),
            "started_at": _iso(c.started_at),
            "first_sent_at": _iso(first),
            "last_sent_at": _iso(last),
            "finished_at": _iso(c.finished_at),
        },
    }


async def csv_text(s: AsyncSession, campaign_id: int) -> str:
    await states.load(s, campaign_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    rows = await s.execute(select(R).where(R.campaign_id == campaign_id).order_by(R.id))
    for r in rows.scalars():
        writer.writerow(
            [
                r.identity_id,
                r.external_id,
                r.status,
                RECIPIENT_LABELS.get(RecipientStatus(r.status), r.status),
                r.reason or "",
                REASONS.get(r.reason or "", r.reason or ""),
                r.attempts,
                _iso(r.sent_at) or "",
                _csv_safe(r.error or ""),
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """No formula injection when opened in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
