"""A citizen asks about their personal data in a channel (issue 18): "xem dữ liệu cá nhân",
"xoá dữ liệu cá nhân của tôi", "rút lại sự đồng ý"… (:mod:`privacy.request_words`). The
pipeline asks this before the dialogue engine, next to the opt-out (:mod:`bot.opt_out_reply`).

A recognised request becomes a data request of the conversation's contact
(:mod:`privacy.requests`, the one writer of ``data_requests``) in a transaction of its own,
verified by the channel identity itself; the reply is its acknowledgement: the reference,
what happens next and the deadline (working days, Decree 356/2025/NĐ-CP). Asking again
while a request of the same kind is open answers with that one: a retried commit records
nothing twice.

A contact whose processing is restricted (or objected to) is not answered by the bot: its
messages go to an operator (the conversation moves to ``waiting_human``, no reply).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import EngineReply, EngineResult
from bot.pending import Pending
from handoff.calendar import HOTLINE_TZ, WorkingCalendar
from privacy import requests
from privacy.request_words import data_request
from privacy.restriction import is_restricted
from storage.models_privacy import DataRequest
from storage.session import SessionMaker

RESTRICTED_QUEUE = "Công dân đã yêu cầu hạn chế xử lý dữ liệu: cán bộ trả lời"
VERIFIED_BY_CHANNEL = "channel"


def acknowledgement(req: DataRequest) -> str:
    """What the citizen is told when the request is recorded."""
    day = requests.due(req).astimezone(HOTLINE_TZ)
    return (
        f"Dạ, tổng đài đã tiếp nhận yêu cầu {requests.KIND_LABELS[req.kind]} của anh/chị, "
        f"mã yêu cầu {req.reference}. Cán bộ sẽ xem xét và trả lời anh/chị trên kênh này "
        f"chậm nhất ngày {day:%d/%m/%Y} (tính theo ngày làm việc, Nghị định 356/2025/NĐ-CP); "
        "cán bộ có thể liên hệ để xác minh trước khi thực hiện."
    )


@dataclass(frozen=True)
class DataRequestReply:
    """Records a data request and acknowledges it; hands a restricted contact's message to
    an operator; None for any other message."""

    sm: SessionMaker
    calendar: WorkingCalendar
    deadlines: requests.Deadlines = field(default_factory=lambda: requests.Deadlines.from_env(os.environ))

    async def answer(self, pending: Pending, now: datetime) -> EngineResult | None:
        conv = pending.conv
        kind = data_request(pending.msg.text or "")
        if kind is not None and not pending.dialogue.get("form"):
            async with self.sm() as s, s.begin():
                req = await self._open_request(s, conv.contact_id, kind)
                if req is None:
                    req = await requests.create(
                        s,
                        contact_id=conv.contact_id,
                        kind=kind,
                        channel=conv.channel,
                        conversation_id=conv.id,
                        text=pending.msg.text,
                        now=now,
                        calendar=self.calendar,
                        deadlines=self.deadlines,
                        verification=VERIFIED_BY_CHANNEL,
                    )
                text = acknowledgement(req)
            return EngineResult([EngineReply(text)], meta={"act": "data_request", "kind": kind})
        async with self.sm() as s:
            if await is_restricted(s, conv.contact_id):
                return EngineResult(
                    [], handoff=True, handoff_reason=RESTRICTED_QUEUE, meta={"act": "restricted"}
                )
        return None

    @staticmethod
    async def _open_request(s: AsyncSession, contact_id: int, kind: str) -> DataRequest | None:
        q = (
            select(DataRequest)
            .where(
                DataRequest.contact_id == contact_id,
                DataRequest.kind == kind,
                DataRequest.status.in_(requests.OPEN),
            )
            .order_by(DataRequest.id)
            .limit(1)
        )
        return (await s.execute(q)).scalar_one_or_none()
