"""A first walk through decide(): each branch once (the detailed tables are in test_policy.py)."""

from __future__ import annotations

from actions.policy import decide
from tests.dialogue.helpers import answer, turn


def test_question_answered_by_the_faq() -> None:
    d = decide(turn("thẻ bhyt gia hạn ở đâu ạ", faq=answer("A1")))
    assert (d.act, d.faq_id) == ("answer", "A1")
    assert "Sở Y tế" in d.replies[0].text


def test_request_for_a_person_opens_the_form_and_queues_at_once() -> None:
    d = decide(turn("cho tôi gặp cán bộ"))
    assert d.act == "form" and d.queue
    assert d.state.form is not None and d.state.form.step == "matter"
