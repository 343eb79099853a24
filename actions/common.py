"""Shared pieces of the custom actions: hotline name, contact-form preparation."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from actions.fields import DECLINED
from actions.sdk import CollectingDispatcher, Event, FollowupAction, SlotSet, Tracker
from actions.services import HotlineInfo, HubServices

logger = logging.getLogger(__name__)

CONTACT_SLOTS = ("full_name", "phone", "address", "email")
CONTACT_FORM = "contact_form"

REASON_REQUEST_HUMAN = "Công dân đề nghị gặp cán bộ"
REASON_INCIDENT = "Phản ánh, kiến nghị cần cán bộ xử lý"
REASON_FAQ_UNANSWERED = "Câu hỏi chưa có trong bộ câu hỏi - trả lời"
REASON_CONTACT = "Công dân để lại thông tin liên hệ"

REASON_BY_INTENT = {
    "request_human": REASON_REQUEST_HUMAN,
    "report_incident": REASON_INCIDENT,
    "provide_contact": REASON_CONTACT,
}

DEFAULT_SCOPE = (
    "thông tin, chủ trương, quy định và hướng dẫn của tỉnh",
    "y tế, khám chữa bệnh, tiêm chủng",
    "chính sách an sinh xã hội, hỗ trợ người dân",
    "giao thông vận tải, lưu thông hàng hóa",
    "an ninh, trật tự, lừa đảo, tin giả",
)


async def hotline(services: HubServices) -> HotlineInfo:
    try:
        return await services.hotline_info()
    except Exception:  # the name is cosmetic: never fail a reply over it
        logger.exception("hotline_info failed; using the default name")
        return HotlineInfo()


def profile_from_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The hub sends the channel profile as ``metadata.profile`` with each message."""
    profile = metadata.get("profile")
    return dict(profile) if isinstance(profile, Mapping) else {}


async def known_profile(services: HubServices, tracker: Tracker) -> dict[str, Any]:
    profile = profile_from_metadata(tracker.latest_metadata)
    missing = [s for s in CONTACT_SLOTS if not profile.get(s)]
    if missing:
        try:
            stored = await services.contact_profile(tracker.sender_id)
        except Exception:
            logger.exception("contact_profile failed for %s", tracker.sender_id)
            stored = {}
        for slot in missing:
            if stored.get(slot):
                profile[slot] = stored[slot]
    return profile


def prefill_events(tracker: Tracker, profile: Mapping[str, Any]) -> list[Event]:
    """SlotSet for every contact field the profile knows and the conversation does not."""
    events: list[Event] = []
    for slot in CONTACT_SLOTS:
        value = profile.get(slot)
        if value and not tracker.get_slot(slot):
            events.append(SlotSet(slot, str(value).strip()))
    return events


def recent_citizen_texts(tracker: Tracker, limit: int = 3) -> list[str]:
    texts: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("text"):
            texts.append(str(event["text"]))
            if len(texts) >= limit:
                break
    if not texts and tracker.latest_text:
        texts.append(tracker.latest_text)
    return list(reversed(texts))


async def start_contact_form(
    services: HubServices, tracker: Tracker, reason: str, summary: str
) -> list[Event]:
    """Events that set the reason/summary, prefill known fields and run the contact form."""
    profile = await known_profile(services, tracker)
    events = [SlotSet("contact_reason", reason), SlotSet("contact_summary", summary)]
    events += prefill_events(tracker, profile)
    return events


def contact_value(tracker: Tracker, slot: str) -> str | None:
    value = tracker.get_slot(slot)
    if value is None or value == DECLINED or not str(value).strip():
        return None
    return str(value).strip()


def follow_with_form() -> Event:
    return FollowupAction(CONTACT_FORM)


def scope_text(info: HotlineInfo) -> str:
    items = info.scope or DEFAULT_SCOPE
    return "; ".join(items)


def say(dispatcher: CollectingDispatcher, text: str, buttons: list[dict[str, Any]] | None = None) -> None:
    dispatcher.utter_message(text=text, buttons=buttons)
