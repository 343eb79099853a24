"""decide(): each branch with hand-built turns (the NLU's parse and the FAQ's view are given)."""

from __future__ import annotations

import json

import pytest

from actions import texts
from actions.dialogue import Decision, DialogueState, FaqView, Parse
from actions.policy import OFF_TOPIC_MAX_FAQ_SCORE, decide
from actions.services import DecisionKind, FaqDecision, HotlineInfo
from tests.dialogue.helpers import HOTLINE, NONE, WEAK, answer, suggest, turn

GREETED = DialogueState(greeted=True)


def rasa(intent: str, confidence: float = 0.95) -> Parse:
    return Parse(intent, confidence, ranking=((intent, confidence),), source="rasa")


def stored(decision: Decision) -> Decision:
    state = DialogueState.from_json(json.loads(json.dumps(decision.state.to_json())))
    assert state == decision.state
    return decision


# ---------------------------------------------------------------------------- fresh messages


def test_foreign_language_gets_a_reply_in_vietnamese_and_english() -> None:
    d = stored(decide(turn("Hello, where can I extend my visa in this province?", faq=suggest("A3"))))
    assert d.act == "foreign" and d.state.form is None and d.faq_id is None
    assert "tiếng Việt" in d.replies[0].text and "Vietnamese" in d.replies[0].text
    assert HOTLINE.phone in d.replies[0].text


@pytest.mark.parametrize(
    ("text", "matter"),
    [
        ("cho tôi gặp cán bộ", None),
        ("lam on noi may cho tong dai vien", None),
        (
            "Cho tôi gặp cán bộ, nhà tôi bị cắt tên khỏi danh sách hộ nghèo",
            "nhà tôi bị cắt tên khỏi danh sách hộ nghèo",
        ),
    ],
)
def test_request_for_a_person_opens_the_form_and_queues_at_once(text: str, matter: str | None) -> None:
    d = stored(decide(turn(text, faq=WEAK)))
    assert d.act == "form" and d.queue == "Công dân yêu cầu gặp cán bộ"
    assert d.state.form is not None and d.state.form.reason == "request_human"
    assert d.state.form.matter == matter
    assert d.state.form.step == ("matter" if matter is None else "full_name")
    assert len(d.replies) == 1


def test_the_nlu_alone_never_sends_an_answered_question_to_a_person() -> None:
    d = decide(
        turn("nhắn tin cho tổng đài qua zalo được không", faq=answer("A1"), parse=rasa("request_human"))
    )
    assert d.act == "answer"
    d = decide(turn("tôi cần người hỗ trợ gấp", parse=rasa("request_human")))
    assert d.act == "form" and d.queue


def test_a_question_the_faq_answers_is_answered() -> None:
    d = stored(decide(turn("thẻ bhyt gia hạn ở đâu ạ", faq=answer("A1"), parse=rasa("report_incident", 1.0))))
    assert (d.act, d.faq_id) == ("answer", "A1")
    assert d.replies[0].text == "Gia hạn tại bưu điện xã.\n(Nội dung trả lời của Sở Y tế.)"


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("cảm ơn ad nhiều", "thank"),
        ("tạm biệt nhé", "goodbye"),
        ("vâng ạ", "ack"),
        ("không ạ", "ack"),
        ("chào ad", "greet"),
    ],
)
def test_short_dialogue_acts_get_their_reply(text: str, act: str) -> None:
    d = stored(decide(turn(text, faq=WEAK)))
    assert d.act == act and d.state.form is None and d.faq_id is None and d.queue is None


def test_greeting_after_the_greeting_is_short() -> None:
    d = decide(turn("xin chào", GREETED))
    assert d.replies == (texts.greet_again(HOTLINE),)
    d = decide(turn("xin chào", DialogueState()))
    assert d.replies == (texts.greeting(HOTLINE),) and d.state.greeted


def test_a_report_opens_the_form_with_the_report_as_matter() -> None:
    text = "Bãi rác tự phát ở cuối thôn bốc mùi hôi thối suốt mấy tuần nay, đề nghị xã xử lý"
    d = stored(decide(turn(text, faq=suggest("A1", "A2"))))
    assert d.act == "form" and d.queue == "Phản ánh, kiến nghị cần cán bộ xử lý"
    assert d.state.form is not None and d.state.form.reason == "report_incident"
    assert d.state.form.matter == text and d.state.form.step == "full_name"


def test_report_without_matter_asks_for_it() -> None:
    d = decide(turn("tôi muốn phản ánh"))
    assert d.act == "form" and d.state.form is not None and d.state.form.step == "matter"


def test_the_nlu_report_never_overrides_faq_evidence_for_a_question() -> None:
    d = stored(
        decide(
            turn(
                "vay vốn trả lương cho công nhân ở ngân hàng nào",
                faq=suggest("A1", "A2"),
                parse=rasa("report_incident", 1.0),
            )
        )
    )
    assert d.act == "suggest" and d.state.form is None


def test_suggestions_are_numbered_and_tap_able() -> None:
    d = stored(decide(turn("gia hạn thẻ bảo hiểm hay đổi bằng lái ở đâu", faq=suggest("A1", "A2", "A1"))))
    assert d.act == "suggest" and d.state.suggestions == ("A1", "A2")
    assert d.state.pending_text == "gia hạn thẻ bảo hiểm hay đổi bằng lái ở đâu"
    reply = d.replies[0]
    assert (
        "1. Thẻ bảo hiểm y tế gia hạn ở đâu?" in reply.text and "2. Đổi giấy phép lái xe ở đâu?" in reply.text
    )
    assert [b.title for b in reply.buttons][:2] == ["1", "2"]
    assert reply.buttons[-1].payload == texts.NONE_OF_THESE
    assert all(len(b.title) <= 20 for b in reply.buttons)


def test_out_of_scope_is_refused_with_a_way_forward() -> None:
    d = stored(decide(turn("hôm nay nên mặc áo màu gì cho hợp mệnh", parse=rasa("out_of_scope", 0.9))))
    assert d.act == "refuse" and d.state.form is None
    assert [b.payload for b in d.replies[0].buttons] == [texts.ASK_INFO, texts.PERSON]
    d = decide(turn("bot ngu quá"))  # no NLU, no FAQ overlap, no report shape
    assert d.act == "refuse"


def test_a_question_the_faq_cannot_answer_is_offered_to_an_officer() -> None:
    d = stored(decide(turn("khám hậu covid ở bệnh viện nào", faq=WEAK)))
    assert d.act == "offer_ticket" and d.state.pending == "offer_ticket"
    assert d.state.pending_text == "khám hậu covid ở bệnh viện nào"
    assert [b.payload for b in d.replies[0].buttons] == [texts.SEND, texts.NO_NEED]


def test_an_unclear_statement_asks_information_or_report() -> None:
    d = stored(decide(turn("chuyện tiền hỗ trợ của mẹ tôi năm ngoái", faq=WEAK)))
    assert d.act == "clarify" and d.state.pending == "clarify"
    assert [b.payload for b in d.replies[0].buttons] == [texts.ASK_INFO, texts.REPORT, texts.PERSON]


# ---------------------------------------------------------------------------- pending


SUGGESTED = DialogueState(greeted=True, suggestions=("A1", "A2", "A3"), pending_text="giấy tờ ở đâu")


@pytest.mark.parametrize(
    ("text", "faq_id"), [("2", "A2"), ("số 1", "A1"), ("câu thứ ba", "A3"), ("cái cuối", "A3")]
)
def test_a_picked_suggestion_is_answered(text: str, faq_id: str) -> None:
    d = stored(decide(turn(text, SUGGESTED)))
    assert (d.act, d.faq_id) == ("answer", faq_id) and d.state.suggestions == ()


@pytest.mark.parametrize("text", [texts.NONE_OF_THESE, "Không phải câu nào", "không phải"])
def test_none_of_the_suggestions_offers_an_officer(text: str) -> None:
    d = stored(decide(turn(text, SUGGESTED)))
    assert d.act == "offer_ticket" and d.state.pending_text == "giấy tờ ở đâu" and d.state.suggestions == ()


def test_a_new_question_after_suggestions_is_handled_fresh() -> None:
    d = stored(decide(turn("làm hộ chiếu mất bao lâu", SUGGESTED, faq=answer("A3"))))
    assert (d.act, d.faq_id) == ("answer", "A3") and d.state.suggestions == ()


CLARIFY = DialogueState(greeted=True, pending="clarify", pending_text="chuyện tiền hỗ trợ của mẹ tôi")


def test_clarify_information_uses_the_faq_view_of_the_pending_text() -> None:
    d = decide(turn(texts.ASK_INFO, CLARIFY, pending_faq=answer("A1")))
    assert (d.act, d.faq_id) == ("answer", "A1")
    d = decide(turn(texts.ASK_INFO, CLARIFY, pending_faq=suggest("A1", "A2")))
    assert d.act == "suggest" and d.state.pending_text == CLARIFY.pending_text
    d = stored(decide(turn(texts.ASK_INFO, CLARIFY, pending_faq=NONE)))
    assert d.act == "offer_ticket" and d.state.pending_text == CLARIFY.pending_text


@pytest.mark.parametrize(
    ("text", "reason"), [(texts.REPORT, "report_incident"), (texts.PERSON, "request_human")]
)
def test_clarify_report_or_person_opens_the_form_with_the_pending_text(text: str, reason: str) -> None:
    d = stored(decide(turn(text, CLARIFY)))
    assert d.act == "form" and d.queue
    assert d.state.form is not None and d.state.form.reason == reason
    assert d.state.form.matter == CLARIFY.pending_text and d.state.pending is None


OFFERED = DialogueState(greeted=True, pending="offer_ticket", pending_text="khám hậu covid ở đâu")


@pytest.mark.parametrize("text", [texts.SEND, "vâng", "ok gửi đi"])
def test_accepting_the_offer_opens_the_form(text: str) -> None:
    d = stored(decide(turn(text, OFFERED)))
    assert d.act == "form" and d.queue
    assert d.state.form is not None and d.state.form.reason == "unanswered_question"
    assert d.state.form.matter == OFFERED.pending_text


def test_declining_the_offer_is_acknowledged() -> None:
    d = stored(decide(turn(texts.NO_NEED, OFFERED)))
    assert d.act == "ack" and d.state.pending is None and d.state.pending_text is None


# ---------------------------------------------------------------------------- ticket open

OPEN = DialogueState(greeted=True, ticket_code="T-2026-000007")


def test_after_the_ticket_acts_get_their_reply_without_a_note() -> None:
    d = decide(turn("cảm ơn ad", OPEN))
    assert d.act == "thank" and d.ticket_note is None


def test_after_the_ticket_an_answered_question_is_answered_and_noted() -> None:
    d = decide(turn("thẻ bhyt gia hạn ở đâu?", OPEN, faq=answer("A1")))
    assert (d.act, d.faq_id) == ("answer", "A1") and d.ticket_note == "thẻ bhyt gia hạn ở đâu?"


def test_after_the_ticket_other_text_is_noted_on_the_ticket() -> None:
    d = stored(decide(turn("nhà tôi ở gần chợ, số nhà 12", OPEN, faq=suggest("A1"))))
    assert d.act == "note" and d.ticket_note == "nhà tôi ở gần chợ, số nhà 12"
    assert "T-2026-000007" in d.replies[0].text and d.state.ticket_code == "T-2026-000007"


# ---------------------------------------------------------------------------- greeting


def test_first_contact_starts_with_the_greeting() -> None:
    d = stored(decide(turn("thẻ bhyt gia hạn ở đâu", DialogueState(), faq=answer("A1"), first_contact=True)))
    assert d.replies[0] == texts.greeting(HOTLINE) and d.act == "answer" and d.state.greeted
    assert len(d.replies) == 2
    d = decide(turn("chào tổng đài", DialogueState(), first_contact=True))
    assert d.replies == (texts.greeting(HOTLINE),) and d.state.greeted
    d = decide(turn("thẻ bhyt gia hạn ở đâu", GREETED, faq=answer("A1"), first_contact=True))
    assert len(d.replies) == 1


def test_the_greeting_says_what_the_hotline_does_and_how_to_reach_a_person() -> None:
    reply = texts.greeting(HOTLINE)
    assert "y tế; giao thông" in reply.text and '"Gặp cán bộ"' in reply.text and "0999" in reply.text
    assert [b.payload for b in reply.buttons] == [texts.PERSON]


def test_no_text_names_a_hotline_of_its_own() -> None:
    other = HotlineInfo("Đường dây nóng Tỉnh X", ("môi trường",))
    replies = [
        texts.greeting(other), texts.refusal(other), texts.foreign(other), texts.offer_ticket(other),
        texts.ticket_created(other), texts.form_cancelled(other), texts.note_added(other, "C1"),
        texts.thank(other), texts.goodbye(other), texts.ack(other), texts.greet_again(other),
    ]  # fmt: skip
    for reply in replies:
        assert "1022" not in reply.text
    assert "Đường dây nóng Tỉnh X" in texts.greeting(other).text
    assert "gọi" not in texts.greeting(other).text  # no phone set: no number offered


def test_a_short_answer_is_never_answered_from_the_faq() -> None:
    d = decide(turn("Chưa ạ", faq=answer("A3")))
    assert d.act == "ack" and d.faq_id is None


@pytest.mark.parametrize(
    "text",
    [
        "Bên em nhận ship hàng giá sỉ, liên hệ Zalo để nhận báo giá",
        "kể chuyện cười cho tôi nghe đi",
        "xem tử vi tuổi Dần năm nay giúp em",
    ],
)
def test_off_topic_messages_are_refused_even_with_weak_faq_suggestions(text: str) -> None:
    d = decide(turn(text, faq=suggest("A1", score=0.1)))
    assert d.act == "refuse" and d.state.suggestions == ()


def test_off_topic_cue_does_not_refuse_what_the_faq_holds() -> None:
    text = "bảng giá vàng ở đâu, thẻ bhyt gia hạn ở đâu"
    d = decide(turn(text, faq=suggest("A1", score=OFF_TOPIC_MAX_FAQ_SCORE + 0.1)))
    assert d.act == "suggest"
    d = decide(turn(text, faq=suggest("A1", score=OFF_TOPIC_MAX_FAQ_SCORE - 0.1)))
    assert d.act == "refuse"


def test_a_complaint_asked_as_a_question_with_nothing_in_the_faq_is_a_report() -> None:
    text = "Đèn đường trong ngõ hỏng cả tháng nay, tối om nguy hiểm, sao không ai đến sửa?"
    d = decide(turn(text, faq=WEAK))
    assert d.act == "form" and d.state.form is not None and d.state.form.reason == "report_incident"
    d = decide(turn(text, faq=suggest("A1", "A2")))
    assert d.act == "suggest"


def test_unrelated_question_without_nlu_is_refused_related_one_offered() -> None:
    assert decide(turn("tối nay đội nào thắng ở trận chung kết", faq=NONE)).act != "form"
    far = FaqView(FaqDecision(DecisionKind.HANDOFF), -0.5)
    assert decide(turn("tối nay đội nào thắng ở trận chung kết", faq=far)).act == "refuse"
    assert decide(turn("khám hậu covid ở bệnh viện nào", faq=WEAK)).act == "offer_ticket"


def test_keyboard_mashing_asks_for_details() -> None:
    d = decide(turn("asdfghjkl", faq=NONE))
    assert d.replies == (texts.ask_details(HOTLINE),) and d.state.form is None


def test_a_statement_is_not_refused_for_a_missing_faq() -> None:
    d = decide(turn("chuyện tiền trợ cấp của bố tôi năm ngoái", faq=NONE))
    assert d.act == "clarify"


def test_the_nlu_short_act_is_trusted_only_for_a_short_message_without_faq_evidence() -> None:
    assert (
        decide(turn("bảo hiểm y tế cho học sinh", faq=suggest("A1"), parse=rasa("affirm"))).act == "suggest"
    )
    assert decide(turn("hế nhô cả nhà", faq=NONE, parse=rasa("greet"))).act == "greet"


def test_the_nlu_request_for_a_person_alone_never_beats_faq_suggestions_for_a_question() -> None:
    d = decide(
        turn("muốn làm lại thẻ bhyt thì liên hệ ở đâu", faq=suggest("A1"), parse=rasa("request_human"))
    )
    assert d.act == "suggest"


def test_a_long_scope_is_cut_in_the_greeting_and_the_refusal() -> None:
    many = HotlineInfo("Tổng đài Thử", tuple(f"lĩnh vực {i}" for i in range(1, 11)))
    assert "lĩnh vực 6; …" in texts.greeting(many).text and "lĩnh vực 7" not in texts.greeting(many).text
    assert "lĩnh vực 4; …" in texts.refusal(many).text and "lĩnh vực 5" not in texts.refusal(many).text


@pytest.mark.parametrize("huge", ["a" * 100_000, "xin chào " * 20_000, "0" * 100_000, "x@" * 50_000])
def test_a_huge_message_costs_as_a_long_one(huge: str) -> None:
    """The cues read a bounded prefix; nothing is quadratic in the message (43 s before, < 0.2 s now)."""
    import time

    state = DialogueState(greeted=True)
    form_state = decide(turn("cho tôi gặp cán bộ, đèn đường ở ngõ 5 hỏng cả tuần nay")).state
    for s in (state, form_state, fill_email_step(form_state)):
        started = time.perf_counter()
        decide(turn(huge, s, faq=WEAK))
        assert time.perf_counter() - started < 2.0


def fill_email_step(state: DialogueState) -> DialogueState:
    for text in ("bỏ qua", "bỏ qua", "bỏ qua"):
        state = decide(turn(text, state)).state
    assert state.form is not None and state.form.step == "email"
    return state


@pytest.mark.parametrize("text", [texts.ASK_INFO, "em muốn hỏi", "cho hỏi chút"])
def test_no_topic_yet_asks_for_details_never_refuses(text: str) -> None:
    far = FaqView(FaqDecision(DecisionKind.HANDOFF), -0.5)
    d = decide(turn(text, faq=far, parse=rasa("out_of_scope", 0.9)))
    assert d.replies == (texts.ask_details(HOTLINE),)
