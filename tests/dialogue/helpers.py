"""Hand-built turns for the policy and form tests (no NLU, no FAQ engine: their views are given)."""

from __future__ import annotations

from collections.abc import Mapping

from actions import cues, policy
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


def answer(faq_id: str, score: float | None = None) -> FaqView:
    """The engine answers with ``faq_id`` (by default surely enough to say it directly)."""
    sure = policy.ANSWER_MIN_SCORE + 0.2 if score is None else score
    others = tuple(FaqSuggestion(i, e.question) for i, e in ENTRIES.items() if i != faq_id)
    first = (FaqSuggestion(faq_id, ENTRIES[faq_id].question), *others)
    return FaqView(FaqDecision(DecisionKind.ANSWER, ENTRIES[faq_id], suggestions=first), sure)


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
