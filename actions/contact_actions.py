"""Contact form (Điều 7.2), ticket creation and handoff, session start."""

from __future__ import annotations

import logging
from typing import Any

from actions.common import (
    CONTACT_SLOTS,
    REASON_BY_INTENT,
    REASON_REQUEST_HUMAN,
    contact_value,
    hotline,
    known_profile,
    prefill_events,
    recent_citizen_texts,
    say,
    start_contact_form,
)
from actions.fields import (
    DECLINED,
    clean_address,
    clean_name,
    find_email,
    is_refusal,
    normalize_phone,
    refuses_everything,
)
from actions.sdk import (
    Action,
    ActionExecuted,
    CollectingDispatcher,
    ConversationPaused,
    DomainDict,
    Event,
    FormValidationAction,
    SlotSet,
    Tracker,
)
from actions.services import HubServices, TicketInfo

logger = logging.getLogger(__name__)

INTRO_BY_INTENT = {
    "request_human": "Dạ, {name} sẽ chuyển yêu cầu của anh/chị tới cán bộ trực tổng đài.",
    "report_incident": "{name} ghi nhận phản ánh của anh/chị và sẽ chuyển tới cơ quan có thẩm quyền xử lý.",
    "provide_contact": "{name} đã ghi nhận thông tin của anh/chị.",
}


class ActionPrepareContact(Action):
    """Before the contact form: reason, summary and the fields the hub already knows."""

    def __init__(self, services: HubServices) -> None:
        self.services = services

    def name(self) -> str:
        return "action_prepare_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        info = await hotline(self.services)
        intent = tracker.latest_intent or "request_human"
        intro = INTRO_BY_INTENT.get(intent)
        if intro:
            say(dispatcher, intro.format(name=info.name))
        reason = REASON_BY_INTENT.get(intent, REASON_REQUEST_HUMAN)
        summary = " / ".join(recent_citizen_texts(tracker))
        return [
            SlotSet("faq_suggestions", None),
            *await start_contact_form(self.services, tracker, reason, summary),
        ]


class ValidateContactForm(FormValidationAction):
    """Checks each answer; "không có" / "bỏ qua" declines a field, a wrong phone is asked again."""

    def __init__(self, services: HubServices) -> None:
        self.services = services

    def form_name(self) -> str:
        return "contact_form"

    async def prepare(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        # Fields known from the channel profile are filled, never asked.
        events = prefill_events(tracker, await known_profile(self.services, tracker))
        requested = tracker.get_slot("requested_slot")
        if requested and refuses_everything(tracker.latest_text):
            events += [SlotSet(s, DECLINED) for s in CONTACT_SLOTS if not tracker.get_slot(s)]
        return events

    def _declined(self, slot: str, value: Any, tracker: Tracker) -> bool:
        if value == DECLINED:
            return True
        return tracker.get_slot("requested_slot") == slot and is_refusal(
            tracker.latest_text, tracker.latest_intent
        )

    @staticmethod
    def _source(slot: str, value: Any, tracker: Tracker) -> str:
        """The whole message answers the question asked; an entity may cover only part of it."""
        if tracker.get_slot("requested_slot") == slot and tracker.latest_text:
            return tracker.latest_text
        return str(value or "")

    def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._declined("full_name", value, tracker):
            return {"full_name": DECLINED}
        name = clean_name(person_name_span(tracker) or str(value or ""))
        if name is None:
            say(dispatcher, 'Xin anh/chị cho biết họ và tên (ví dụ "Nguyễn Văn An") ạ.')
        return {"full_name": name}

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._declined("phone", value, tracker):
            return {"phone": DECLINED}
        phone = normalize_phone(self._source("phone", value, tracker))
        if phone is None:
            say(
                dispatcher,
                "Số điện thoại chưa đúng. Xin anh/chị nhập số gồm 10 chữ số bắt đầu bằng 0 "
                '(ví dụ 0912345678) hoặc dạng +84912345678. Nếu không muốn cung cấp, xin nhắn "bỏ qua".',
            )
        return {"phone": phone}

    def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._declined("address", value, tracker):
            return {"address": DECLINED}
        address = clean_address(self._source("address", value, tracker))
        if address is None:
            say(dispatcher, "Xin anh/chị cho biết địa chỉ cụ thể hơn (thôn/xóm, xã/phường, huyện) ạ.")
        return {"address": address}

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._declined("email", value, tracker):
            return {"email": DECLINED}
        email = find_email(self._source("email", value, tracker))
        if email is None:
            say(
                dispatcher,
                'Địa chỉ e-mail chưa đúng (ví dụ ten@gmail.com). Nếu không có, xin nhắn "không có".',
            )
        return {"email": email}


def person_name_span(tracker: Tracker) -> str | None:
    """The text from the first to the last ``person_name`` entity (CRF may split a name)."""
    spans = [
        (int(e["start"]), int(e["end"]))
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") == "person_name"
        and isinstance(e.get("start"), int)
        and isinstance(e.get("end"), int)
    ]
    if not spans:
        return None
    return tracker.latest_text[min(s for s, _ in spans) : max(e for _, e in spans)] or None


def ticket_text(hotline_name: str, ticket: TicketInfo) -> str:
    return (
        f"{hotline_name} đã tiếp nhận yêu cầu của anh/chị, mã phiếu: {ticket.code}. "
        f"Cán bộ sẽ trả lời anh/chị {ticket.due_text}. "
        "Anh/chị có thể nhắn thêm thông tin tại đây, cán bộ sẽ đọc được."
    )


class ActionCreateTicket(Action):
    """Creates the ticket through the hub, gives its code, pauses the bot (waiting_human)."""

    def __init__(self, services: HubServices) -> None:
        self.services = services

    def name(self) -> str:
        return "action_create_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        info = await hotline(self.services)
        reason = str(tracker.get_slot("contact_reason") or REASON_REQUEST_HUMAN)
        summary = str(tracker.get_slot("contact_summary") or " / ".join(recent_citizen_texts(tracker)))
        code: str | None = None
        try:
            ticket = await self.services.create_ticket(
                tracker.sender_id,
                full_name=contact_value(tracker, "full_name"),
                phone=contact_value(tracker, "phone"),
                address=contact_value(tracker, "address"),
                email=contact_value(tracker, "email"),
                reason=reason,
                summary=summary,
            )
        except Exception:
            logger.exception("create_ticket failed for %s", tracker.sender_id)
            say(
                dispatcher,
                f"{info.name} đã ghi nhận yêu cầu của anh/chị. Hệ thống đang bận nên chưa cấp được mã phiếu; "
                "cán bộ sẽ liên hệ lại với anh/chị.",
            )
        else:
            code = ticket.code
            say(dispatcher, ticket_text(info.name, ticket))
        await self.services.request_handoff(tracker.sender_id, reason)
        dispatcher.utter_message(json_message={"handoff": True, "ticket_code": code, "reason": reason})
        return [
            SlotSet("ticket_code", code),
            SlotSet("contact_reason", None),
            SlotSet("contact_summary", None),
            SlotSet("faq_suggestions", None),
            ConversationPaused(),
        ]


class ActionSessionStart(Action):
    """Session start: hotline name, carried-over slots, profile fields from the metadata."""

    def __init__(self, services: HubServices) -> None:
        self.services = services

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        info = await hotline(self.services)
        events: list[Event] = [{"event": "session_started", "timestamp": None}]
        config = domain.get("session_config") or {}
        if config.get("carry_over_slots_to_new_session", True):
            skip = {"requested_slot", "session_started_metadata", "faq_suggestions", "hotline_name"}
            events += [SlotSet(k, v) for k, v in tracker.slots.items() if v is not None and k not in skip]
        events.append(SlotSet("hotline_name", info.name))
        metadata = tracker.get_slot("session_started_metadata") or {}
        profile = metadata.get("profile") if isinstance(metadata, dict) else None
        if isinstance(profile, dict):
            carried = {e["name"] for e in events if e.get("event") == "slot"}
            events += [
                SlotSet(slot, str(profile[slot]))
                for slot in CONTACT_SLOTS
                if profile.get(slot) and slot not in carried
            ]
        events.append(ActionExecuted("action_listen"))
        if tracker.paused:  # a new session must not un-pause a conversation a human holds
            events.append(ConversationPaused())
        return events
