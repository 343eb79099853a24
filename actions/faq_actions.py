"""FAQ answer, numbered suggestions, affirm/deny after suggestions, out-of-scope refusal."""

from __future__ import annotations

from typing import Any

from actions.common import (
    REASON_FAQ_UNANSWERED,
    follow_with_form,
    hotline,
    recent_citizen_texts,
    say,
    scope_text,
    start_contact_form,
)
from actions.fields import is_vague, parse_choice
from actions.sdk import Action, CollectingDispatcher, DomainDict, Event, SlotSet, Tracker
from actions.services import DecisionKind, FaqSuggestion, HubServices
from actions.texts import answer_text, found_questions

MAX_SUGGESTIONS = 3


def suggestions_text(hotline_name: str, suggestions: tuple[FaqSuggestion, ...]) -> str:
    lines = found_questions(hotline_name, suggestions)
    lines.append(
        'Anh/chị nhắn số thứ tự câu muốn xem (ví dụ "số 1"), '
        'hoặc nhắn "không" nếu không phải câu nào để được chuyển tới cán bộ.'
    )
    return "\n".join(lines)


def suggestion_buttons(suggestions: tuple[FaqSuggestion, ...]) -> list[dict[str, Any]]:
    return [{"title": f"{i}. {s.question}", "payload": f"số {i}"} for i, s in enumerate(suggestions, 1)]


class _ServiceAction(Action):
    def __init__(self, services: HubServices) -> None:
        self.services = services


class ActionAnswerFaq(_ServiceAction):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        info = await hotline(self.services)
        question = tracker.latest_text
        if is_vague(question):
            say(dispatcher, "Dạ, mời anh/chị nhắn cụ thể câu hỏi hoặc nội dung cần phản ánh ạ.")
            return []
        decision = await self.services.faq_decide(question)
        if decision.kind is DecisionKind.ANSWER and decision.answer is not None:
            say(dispatcher, answer_text(decision.answer))
            return [SlotSet("faq_suggestions", None)]
        suggestions = decision.suggestions[:MAX_SUGGESTIONS]
        if decision.kind is DecisionKind.SUGGEST and suggestions:
            say(dispatcher, suggestions_text(info.name, suggestions), suggestion_buttons(suggestions))
            stored = [{"id": s.faq_id, "question": s.question} for s in suggestions]
            return [SlotSet("faq_suggestions", stored), SlotSet("contact_summary", question)]
        say(
            dispatcher,
            f"Câu hỏi của anh/chị hiện chưa có câu trả lời sẵn. {info.name} sẽ chuyển tới cán bộ "
            "để trả lời anh/chị.",
        )
        events = [SlotSet("faq_suggestions", None)]
        events += await start_contact_form(self.services, tracker, REASON_FAQ_UNANSWERED, question)
        return [*events, follow_with_form()]


class ActionChooseSuggestion(_ServiceAction):
    def name(self) -> str:
        return "action_choose_suggestion"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        pending = tracker.get_slot("faq_suggestions") or []
        if not pending:
            say(
                dispatcher,
                "Hiện chưa có danh sách câu hỏi gợi ý nào. Anh/chị vui lòng nhập câu hỏi của mình ạ.",
            )
            return []
        index = parse_choice(tracker.latest_text, len(pending))
        if index is None:
            say(dispatcher, f"Anh/chị vui lòng nhắn một số từ 1 đến {len(pending)} để chọn câu hỏi ạ.")
            return []
        chosen = pending[index - 1]
        answer = await self.services.faq_answer(str(chosen["id"]))
        if answer is None:
            say(dispatcher, "Xin lỗi, câu hỏi này vừa được cập nhật. Anh/chị vui lòng hỏi lại ạ.")
            return [SlotSet("faq_suggestions", None)]
        say(dispatcher, answer_text(answer))
        return [SlotSet("faq_suggestions", None)]


UNSURE_CONFIDENCE = 0.6


def unsure(tracker: Tracker) -> bool:
    """A short yes/no intent predicted with low confidence is more likely a terse question."""
    intent = tracker.latest_message.get("intent") or {}
    confidence = intent.get("confidence") if isinstance(intent, dict) else None
    return isinstance(confidence, int | float) and confidence < UNSURE_CONFIDENCE


class ActionHandleAffirm(_ServiceAction):
    def name(self) -> str:
        return "action_handle_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        pending = tracker.get_slot("faq_suggestions") or []
        if not pending and unsure(tracker):
            return await ActionAnswerFaq(self.services).run(dispatcher, tracker, domain)
        if pending:
            say(dispatcher, f"Anh/chị vui lòng nhắn số thứ tự câu hỏi muốn xem (từ 1 đến {len(pending)}) ạ.")
        else:
            say(dispatcher, "Dạ, mời anh/chị nhắn câu hỏi hoặc nội dung cần phản ánh ạ.")
        return []


class ActionHandleDeny(_ServiceAction):
    def name(self) -> str:
        return "action_handle_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        info = await hotline(self.services)
        pending = tracker.get_slot("faq_suggestions") or []
        if not pending and unsure(tracker):
            return await ActionAnswerFaq(self.services).run(dispatcher, tracker, domain)
        if not pending:
            say(dispatcher, f"Dạ vâng. Anh/chị cần hỗ trợ thêm, xin cứ nhắn cho {info.name} ạ.")
            return []
        say(dispatcher, f"Dạ, {info.name} sẽ chuyển câu hỏi của anh/chị tới cán bộ để trả lời.")
        summary = tracker.get_slot("contact_summary") or " / ".join(recent_citizen_texts(tracker))
        events = [SlotSet("faq_suggestions", None)]
        events += await start_contact_form(self.services, tracker, REASON_FAQ_UNANSWERED, str(summary))
        return [*events, follow_with_form()]


class ActionRefuseOutOfScope(_ServiceAction):
    """Điều 9.2: refuse at once and say why, and what the hotline does handle."""

    def name(self) -> str:
        return "action_refuse_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        info = await hotline(self.services)
        say(
            dispatcher,
            f"Xin lỗi anh/chị, nội dung này nằm ngoài phạm vi tiếp nhận của {info.name} "
            "theo quy chế hoạt động, nên Tổng đài không trả lời được. "
            f"{info.name} tiếp nhận câu hỏi, phản ánh của người dân về: {scope_text(info)}.",
        )
        return [SlotSet("faq_suggestions", None)]
