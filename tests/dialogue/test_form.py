"""Walks through the contact form (Điều 7.2): one reply per message, one way to skip any field,
mid-form questions answered, cancel, a found name confirmed, profile fields never asked."""

from __future__ import annotations

import json

from actions import texts
from actions.dialogue import Decision, DialogueState, Entity, Parse
from actions.fields import DECLINED
from actions.form import start
from actions.policy import decide
from tests.dialogue.helpers import HOTLINE, answer, turn

MATTER = "nhà tôi bị cắt điện hai ngày nay mà không ai đến sửa"


def say(state: DialogueState, text: str, **kw: object) -> Decision:
    """One citizen message: exactly one reply, and a state that survives JSON storage."""
    decision = decide(turn(text, state, **kw))  # type: ignore[arg-type]
    assert len(decision.replies) == 1, decision.replies
    stored = json.loads(json.dumps(decision.state.to_json()))
    assert DialogueState.from_json(stored) == decision.state
    return decision


def test_request_for_a_person_asks_the_matter_then_every_field_can_be_skipped() -> None:
    d = say(DialogueState(greeted=True), "cho tôi gặp cán bộ")
    assert d.queue and d.state.form and d.state.form.step == "matter"
    d = say(d.state, MATTER)
    assert d.state.form and d.state.form.step == "full_name" and d.state.form.matter == MATTER
    for field, skip in (
        ("full_name", "Bỏ qua"),
        ("phone", "bo qua"),
        ("address", "không có"),
        ("email", "-"),
    ):
        assert d.state.form and d.state.form.step == field
        assert 'nhắn "Bỏ qua"' in d.replies[0].text
        assert texts.SKIP_BUTTON in d.replies[0].buttons
        d = say(d.state, skip)
    assert d.act == "ticket" and d.state.form is None and d.ticket is not None
    assert d.ticket.kind == "request" and d.ticket.reason == "request_human"
    assert d.ticket.content == MATTER
    assert dict(d.ticket.contact) == {"full_name": None, "phone": None, "address": None, "email": None}
    assert "{ticket_code}" in d.replies[0].text and "{due_text}" in d.replies[0].text


def fill_to(state: DialogueState, step: str) -> DialogueState:
    answers = {"full_name": "Nguyễn Văn An", "phone": "0912 345 678", "address": "xã Quảng Phú"}
    while state.form and state.form.step != step:
        state = say(state, answers[state.form.step]).state
    return state


def opened() -> DialogueState:
    return say(DialogueState(greeted=True), f"cho tôi gặp cán bộ, {MATTER}").state


def test_values_are_validated_and_kept() -> None:
    state = fill_to(opened(), "email")
    assert state.form is not None
    assert dict(state.form.values) == {
        "full_name": "Nguyễn Văn An",
        "phone": "0912345678",
        "address": "xã Quảng Phú",
    }
    d = say(state, "email của tôi là an.nguyen@gmail.com")
    assert d.ticket is not None and d.ticket.contact["email"] == "an.nguyen@gmail.com"


def test_invalid_email_gets_one_reply_saying_what_is_wrong() -> None:
    state = fill_to(opened(), "email")
    d = say(state, "an.nguyen@gmail")
    assert d.state.form is not None and d.state.form.step == "email"
    assert texts.invalid("email") in d.replies[0].text
    assert texts.FIELD_PROMPTS["email"] in d.replies[0].text


def test_invalid_phone_is_asked_again() -> None:
    state = fill_to(opened(), "phone")
    d = say(state, "091234")
    assert d.state.form is not None and d.state.form.step == "phone"
    assert texts.invalid("phone") in d.replies[0].text


def test_question_mid_form_is_answered_then_the_form_goes_on() -> None:
    state = fill_to(opened(), "phone")
    question = "thẻ bhyt gia hạn ở đâu vậy?"
    d = say(state, question, faq=answer("A1"))
    assert (d.act, d.faq_id) == ("answer", "A1")
    assert "Gia hạn tại bưu điện xã." in d.replies[0].text
    assert texts.FIELD_PROMPTS["phone"] in d.replies[0].text
    assert d.state.form is not None and d.state.form.step == "phone"
    assert d.state.form.extra == (question,)
    d = say(d.state, "bỏ qua")
    d = say(d.state, "bỏ qua")
    d = say(d.state, "bỏ qua")
    assert d.ticket is not None and d.ticket.content == f"{MATTER}\n{question}"


def test_question_without_an_answer_mid_form_is_kept_for_the_officer() -> None:
    state = fill_to(opened(), "address")
    d = say(state, "bao giờ thì có điện lại ạ?")
    assert d.state.form is not None and d.state.form.step == "address"
    assert d.state.form.extra == ("bao giờ thì có điện lại ạ?",)
    assert texts.FIELD_PROMPTS["address"] in d.replies[0].text


def test_other_text_mid_form_goes_to_the_ticket() -> None:
    state = fill_to(opened(), "phone")
    more = "trạm biến áp đầu thôn cháy từ tối hôm kia, cả xóm mười mấy hộ mất điện, trời nóng lắm"
    d = say(state, more)
    assert d.state.form is not None and d.state.form.step == "phone" and d.state.form.extra == (more,)
    d = say(say(say(d.state, "0912345678").state, "bỏ qua").state, "bỏ qua")
    assert d.ticket is not None and more in d.ticket.content and MATTER in d.ticket.content


def test_cancel_drops_the_form_without_a_ticket() -> None:
    state = fill_to(opened(), "address")
    d = say(state, "thôi không cần nữa")
    assert d.act == "cancel" and d.dequeue and d.state.form is None and d.ticket is None


def test_refusing_everything_declines_the_remaining_fields() -> None:
    d = say(opened(), "tôi không muốn cung cấp thông tin cá nhân")
    assert d.ticket is not None
    assert dict(d.ticket.contact) == {"full_name": None, "phone": None, "address": None, "email": None}


def test_a_name_in_the_request_is_confirmed_never_silently_used() -> None:
    d = say(DialogueState(greeted=True), "nhờ cán bộ gọi lại cho tôi, tên tôi là Lê Thị Hoa")
    assert d.state.form is not None and d.state.form.step == "matter"
    d = say(d.state, MATTER)
    assert d.state.form is not None and d.state.form.step == "confirm_name"
    assert d.replies[0].text == "Anh/chị tên là Lê Thị Hoa phải không ạ?"
    assert [b.payload for b in d.replies[0].buttons] == ["Đúng", "Không phải"]
    yes = say(d.state, "Đúng")
    assert yes.state.form is not None and yes.state.form.values["full_name"] == "Lê Thị Hoa"
    assert yes.state.form.step == "phone"
    no = say(d.state, "Không phải")
    assert no.state.form is not None and "full_name" not in no.state.form.values
    assert no.state.form.step == "full_name"


def test_a_place_found_as_a_name_is_not_used_when_denied() -> None:
    text = "đường vào xã Yên Định bị ngập sâu, xe máy chết máy hàng loạt, đề nghị xử lý"
    parse = Parse("report_incident", 0.9, (Entity("person_name", "Yên Định"),), source="rasa")
    d = say(DialogueState(greeted=True), text, parse=parse)
    assert d.state.form is not None and d.state.form.step == "confirm_name"
    d = say(d.state, "không phải")
    assert d.state.form is not None and d.state.form.step == "full_name"
    d = say(d.state, "Phạm Minh Đức")
    assert d.state.form is not None and d.state.form.values["full_name"] == "Phạm Minh Đức"


def test_profile_fields_are_filled_never_asked() -> None:
    profile = {"full_name": "Lê Văn Tám", "phone": "0912345678"}
    d = say(DialogueState(greeted=True), f"cho tôi gặp cán bộ, {MATTER}", profile=profile)
    assert d.state.form is not None and d.state.form.step == "address"
    d = say(say(d.state, "bỏ qua").state, "bỏ qua")
    assert d.ticket is not None
    assert d.ticket.contact["full_name"] == "Lê Văn Tám" and d.ticket.contact["phone"] == "0912345678"


def test_a_complete_profile_and_a_matter_make_the_ticket_at_once() -> None:
    profile = {"full_name": "Lê Văn Tám", "phone": "0912345678", "address": "Quảng Phú", "email": "t@x.vn"}
    d = decide(turn(f"cho tôi gặp cán bộ, {MATTER}", profile=profile))
    assert d.act == "ticket" and d.queue and d.ticket is not None and d.state.form is None


def test_start_reports_the_first_step() -> None:
    form, reply = start("report_incident", "cống tràn", {}, (), HOTLINE)
    assert form.step == "full_name" and HOTLINE.name in reply.text
    form, reply = start("request_human", None, {"email": "a@b.vn"}, (), HOTLINE)
    assert form.step == "matter" and dict(form.values) == {"email": "a@b.vn"}


def test_matter_step_waits_for_a_topic() -> None:
    d = say(DialogueState(greeted=True), "cho tôi gặp cán bộ")
    again = say(d.state, "vâng")
    assert again.state.form is not None and again.state.form.step == "matter"
    skipped = say(d.state, "bỏ qua")
    assert skipped.state.form is not None and skipped.state.form.matter is None
    assert skipped.state.form.step == "full_name"


def test_asked_for_the_matter_a_repeated_request_with_a_short_topic_is_the_matter() -> None:
    """At the matter step a short topic is enough, even inside the request repeated."""
    d = say(DialogueState(greeted=True), "cho toi gap can bo")
    d = say(d.state, "cho toi gap can bo de hoi ve so ho ngheo")
    assert d.state.form is not None and d.state.form.step == "full_name"
    assert d.state.form.matter is not None and "ho ngheo" in d.state.form.matter


def test_declined_is_stored_as_the_declined_marker() -> None:
    state = fill_to(opened(), "address")
    d = say(state, "bỏ qua")
    assert d.state.form is not None and d.state.form.values["address"] == DECLINED


def test_an_address_that_says_khong_co_is_not_a_skip() -> None:
    state = fill_to(opened(), "address")
    d = say(state, "nhà tôi không có số nhà, ở thôn 3 xã Định Hòa")
    assert d.state.form is not None and d.state.form.values["address"] != DECLINED
    assert "thôn 3 xã Định Hòa" in d.state.form.values["address"]


def test_name_and_phone_in_one_message_fill_both() -> None:
    d = say(opened(), "Nguyễn Văn An, 0912 345 678")
    assert d.state.form is not None and d.state.form.step == "address"
    assert dict(d.state.form.values) == {"full_name": "Nguyễn Văn An", "phone": "0912345678"}


def test_contact_details_at_the_matter_step_are_kept_and_the_matter_asked_again() -> None:
    d = say(DialogueState(greeted=True), "cho tôi gặp cán bộ")
    d = say(d.state, "tên tôi là Lê Văn Tám, sđt 0912345678")
    form = d.state.form
    assert form is not None and form.step == "matter" and form.matter is None
    assert form.values["phone"] == "0912345678" and form.name_candidate == "Lê Văn Tám"


def test_thanks_at_the_address_step_is_not_an_address() -> None:
    state = fill_to(opened(), "address")
    d = say(state, "cảm ơn ạ")
    assert d.state.form is not None and d.state.form.step == "address"
    assert "address" not in d.state.form.values


def test_a_scam_number_in_a_report_never_becomes_the_citizen_phone() -> None:
    text = "có số 0987654321 gọi tự xưng công an đòi chuyển tiền, đề nghị công an xác minh xử lý"
    d = say(DialogueState(greeted=True), text)
    assert d.state.form is not None and d.state.form.reason == "report_incident"
    assert "phone" not in d.state.form.values
