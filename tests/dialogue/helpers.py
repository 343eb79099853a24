"""Hand-built turns for the policy and form tests (no NLU, no FAQ engine: their views are given)."""

from __future__ import annotations

from collections.abc import Mapping

from actions import cues
from actions.dialogue import DialogueState, FaqView, Parse, Turn
from actions.services import DecisionKind, FaqAnswer, FaqDecision, FaqSuggestion, HotlineInfo

HOTLINE = HotlineInfo("Tổng đài Thử", ("y tế", "giao thông"), "0999")
ENTRIES = {
    "A1": FaqAnswer("A1", "Thẻ bảo hiểm y tế gia hạn ở đâu?", "Gia hạn tại bưu điện xã.", "Sở Y tế"),
    "A2": FaqAnswer("A2", "Đổi giấy phép lái xe ở đâu?", "Đổi tại Sở Giao thông vận tải.", "Sở GTVT"),
    "A3": FaqAnswer("A3", "Làm hộ chiếu mất bao lâu?", "8 ngày làm việc.", "Công an tỉnh"),
}
NONE = FaqView(FaqDecision(DecisionKind.HANDOFF), 0.0)
WEAK = FaqView(FaqDecision(DecisionKind.HANDOFF), 0.15)


def answer(faq_id: str, score: float = 1.2) -> FaqView:
    return FaqView(FaqDecision(DecisionKind.ANSWER, ENTRIES[faq_id]), score)


def suggest(*ids: str, score: float = 0.5) -> FaqView:
    items = tuple(FaqSuggestion(i, ENTRIES[i].question) for i in ids)
    return FaqView(FaqDecision(DecisionKind.SUGGEST, suggestions=items), score)


def turn(
    text: str,
    state: DialogueState | None = None,
    faq: FaqView = NONE,
    parse: Parse | None = None,
    profile: Mapping[str, str] | None = None,
    first_contact: bool = False,
    pending_faq: FaqView | None = None,
) -> Turn:
    return Turn(
        text=text,
        parse=parse if parse is not None else cues.read_acts(text),
        faq=faq,
        state=state if state is not None else DialogueState(greeted=True),
        hotline=HOTLINE,
        profile=profile or {},
        first_contact=first_contact,
        answer_of=ENTRIES.get,
        pending_faq=pending_faq,
    )
