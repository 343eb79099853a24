"""The policy's fitted thresholds: when the FAQ's answer is said directly, when a hand-off
still offers the closest entries, on which score scale they apply, and when the NLU's report
reading gives way to the hub's own evidence (bench/policy_cv.py fits them)."""

from __future__ import annotations

from actions import policy
from actions.dialogue import FaqView, Parse
from actions.policy import decide
from actions.services import DecisionKind, FaqDecision, FaqSuggestion
from tests.dialogue.helpers import ENTRIES, answer, turn


def test_an_answer_the_engine_is_not_sure_enough_of_leads_the_suggestions() -> None:
    """Below ANSWER_MIN_SCORE the engine's answer is offered as the first suggestion (one
    tap), never said as the answer."""

    unsure = answer("A2", score=policy.ANSWER_MIN_SCORE - 0.05)
    d = decide(turn("Đổi giấy phép lái xe ở đâu vậy?", faq=unsure))
    assert d.act == "suggest" and d.faq_id is None
    assert d.state.suggestions[0] == "A2"
    sure = decide(turn("Đổi giấy phép lái xe ở đâu vậy?", faq=answer("A2")))
    assert sure.act == "answer" and sure.faq_id == "A2"


def test_a_question_the_engine_hands_off_is_offered_its_closest_entries_above_the_floor() -> None:

    closest = (FaqSuggestion("A3", ENTRIES["A3"].question),)
    near = FaqView(FaqDecision(DecisionKind.HANDOFF, suggestions=closest), policy.SUGGEST_FLOOR_SCORE + 0.05)
    d = decide(turn("làm hộ chiếu cho con thì bao lâu có?", faq=near))
    assert d.act == "suggest" and d.state.suggestions == ("A3",)
    far = FaqView(FaqDecision(DecisionKind.HANDOFF, suggestions=closest), policy.SUGGEST_FLOOR_SCORE - 0.05)
    assert decide(turn("làm hộ chiếu cho con thì bao lâu có?", faq=far)).act == "offer_ticket"


def test_scores_off_the_fitted_scale_keep_the_engines_own_decisions() -> None:
    """A lexical-only engine scores on another scale: the policy's fitted thresholds do not
    apply, the engine's answer is said, and a hand-off offers no entries."""

    low = policy.ANSWER_MIN_SCORE * 0.5
    lexical = FaqView(FaqDecision(DecisionKind.ANSWER, ENTRIES["A2"]), low, 0.45, calibrated=False)
    assert decide(turn("Đổi giấy phép lái xe ở đâu vậy?", faq=lexical)).act == "answer"
    closest = (FaqSuggestion("A3", ENTRIES["A3"].question),)
    handoff = FaqView(FaqDecision(DecisionKind.HANDOFF, suggestions=closest), 0.4, 0.45, calibrated=False)
    assert decide(turn("làm hộ chiếu cho con thì bao lâu có?", faq=handoff)).act == "offer_ticket"


def test_the_nlus_report_reading_does_not_outweigh_the_hubs_own_evidence() -> None:
    """Rasa's report_incident raises the report score, but not for an advertisement, nor
    for a question the FAQ holds close entries for."""

    report = Parse("report_incident", 0.95, source="rasa")
    ad = "Bên em chuyên cung cấp thiết bị giá sỉ, số lượng lớn, liên hệ Zalo để nhận báo giá."
    assert decide(turn(ad, parse=report)).act == "refuse"
    question = (
        "Hôm qua tôi đi làm về bị giữ lại ở chốt vì quên giấy tờ, sáng nay được mời lên làm việc, "
        "tôi muốn hỏi làm hộ chiếu thì mất bao lâu ạ?"
    )
    closest = (FaqSuggestion("A3", ENTRIES["A3"].question),)
    near = FaqView(FaqDecision(DecisionKind.HANDOFF, suggestions=closest), policy.SUGGEST_FLOOR_SCORE + 0.1)
    assert decide(turn(question, faq=near, parse=report)).act == "suggest"
