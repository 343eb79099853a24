"""A small, real in-memory implementation of ``actions.services.HubServices`` for tests.

It is a test collaborator (the hub's real one works on the database): a tiny FAQ with a
rapidfuzz matcher on diacritic-folded text, a ticket counter issuing ``1022-YYYY-NNNNNN``
codes, per-sender profiles and a record of hand-offs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from actions.services import DecisionKind, FaqAnswer, FaqDecision, FaqSuggestion, HotlineInfo, TicketInfo
from faq.normalize import fold, normalize

FAQ_ENTRIES = (
    FaqAnswer(
        "cccd-1",
        "Làm căn cước công dân ở đâu?",
        "Anh/chị làm thủ tục cấp căn cước tại Công an cấp huyện nơi thường trú hoặc "
        "qua Cổng dịch vụ công quốc gia.",
        "Công an tỉnh",
    ),
    FaqAnswer(
        "vx-1",
        "Tiêm vắc xin cho trẻ em ở đâu?",
        "Trẻ em được tiêm chủng tại trạm y tế xã, phường nơi cư trú theo lịch của trạm.",
        "Sở Y tế",
    ),
    FaqAnswer(
        "vx-2",
        "Tiêm vắc xin có mất phí không?",
        "Các vắc xin trong chương trình tiêm chủng mở rộng được tiêm miễn phí.",
        "Sở Y tế",
    ),
    FaqAnswer(
        "vx-3",
        "Sau khi tiêm vắc xin bị sốt thì làm gì?",
        "Theo dõi tại nhà, uống đủ nước; sốt cao trên 39 độ thì đến cơ sở y tế gần nhất.",
        "Sở Y tế",
    ),
    FaqAnswer(
        "xe-1",
        "Xe khách liên tỉnh có được chạy không?",
        "Xe khách liên tỉnh hoạt động bình thường theo biểu đồ chạy xe đã đăng ký.",
        "Sở Giao thông vận tải",
    ),
)


_STOP = frozenset("cho hoi ve toi em la gi the nao o dau co khong thi sau khi bi lam".split())


def _key(text: str) -> str:
    return fold(normalize(text))


@dataclass
class MemoryHubServices:
    hotline: HotlineInfo = field(
        default_factory=lambda: HotlineInfo(
            "Tổng đài 1022", ("thủ tục hành chính", "y tế, tiêm chủng", "giao thông vận tải")
        )
    )
    entries: tuple[FaqAnswer, ...] = FAQ_ENTRIES
    answer_at: float = 85.0
    suggest_at: float = 55.0
    year: int = 2026
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    handoffs: list[tuple[str, str]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    async def faq_decide(self, text: str) -> FaqDecision:
        self.questions.append(text)
        keys = {e.faq_id: _key(e.question) for e in self.entries}
        ranked = process.extract(_key(text), keys, scorer=fuzz.token_set_ratio, limit=3)
        by_id = {e.faq_id: e for e in self.entries}
        if (
            ranked
            and ranked[0][1] >= self.answer_at
            and (len(ranked) < 2 or ranked[0][1] - ranked[1][1] >= 5)
        ):
            return FaqDecision(DecisionKind.ANSWER, answer=by_id[ranked[0][2]])
        query_words = set(_key(text).split()) - _STOP
        close = [
            by_id[r[2]]
            for r in ranked
            if r[1] >= self.suggest_at and len(query_words & set(_key(by_id[r[2]].question).split())) >= 2
        ]
        if close:
            return FaqDecision(
                DecisionKind.SUGGEST, suggestions=tuple(FaqSuggestion(e.faq_id, e.question) for e in close)
            )
        return FaqDecision(DecisionKind.HANDOFF)

    async def faq_answer(self, faq_id: str) -> FaqAnswer | None:
        return next((e for e in self.entries if e.faq_id == faq_id), None)

    async def create_ticket(
        self,
        sender_id: str,
        *,
        full_name: str | None,
        phone: str | None,
        address: str | None,
        email: str | None,
        reason: str,
        summary: str,
    ) -> TicketInfo:
        code = f"1022-{self.year}-{len(self.tickets) + 1:06d}"
        self.tickets.append(
            {
                "code": code,
                "sender_id": sender_id,
                "full_name": full_name,
                "phone": phone,
                "address": address,
                "email": email,
                "reason": reason,
                "summary": summary,
            }
        )
        return TicketInfo(code, "trong vòng 8 giờ làm việc")

    async def contact_profile(self, sender_id: str) -> Mapping[str, Any]:
        return dict(self.profiles.get(sender_id, {}))

    async def request_handoff(self, sender_id: str, reason: str) -> None:
        self.handoffs.append((sender_id, reason))

    async def hotline_info(self) -> HotlineInfo:
        return self.hotline
