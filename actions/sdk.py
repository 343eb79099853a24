"""A small subset of the Rasa SDK (3.6 protocol) that runs inside the hub (Python 3.11).

Why not ``rasa-sdk`` itself: the release matching Rasa 3.6 (rasa-sdk 3.6.x) requires
Python < 3.11, and the releases that accept 3.11 (3.11+) pull in Sanic, gRPC and
OpenTelemetry for the Rasa Pro protocol. The hub needs only the action-server protocol
(``POST {next_action, sender_id, tracker, domain, version}`` ->
``{events, responses}``), so this module keeps the SDK's names and conventions:
:class:`Action` with ``name()`` / ``run(dispatcher, tracker, domain)``,
:class:`CollectingDispatcher`, :class:`Tracker`, :class:`FormValidationAction` with
``validate_<slot>`` methods, and event helpers shaped like the SDK's dicts.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Mapping
from typing import Any

Event = dict[str, Any]
DomainDict = dict[str, Any]


# --- events (same JSON as rasa_sdk.events) ----------------------------------------------


def SlotSet(key: str, value: Any = None) -> Event:
    return {"event": "slot", "timestamp": None, "name": key, "value": value}


def FollowupAction(name: str) -> Event:
    return {"event": "followup", "timestamp": None, "name": name}


def ConversationPaused() -> Event:
    return {"event": "pause", "timestamp": None}


def ConversationResumed() -> Event:
    return {"event": "resume", "timestamp": None}


def ActionExecuted(name: str) -> Event:
    return {"event": "action", "timestamp": time.time(), "name": name, "policy": None, "confidence": None}


def ActiveLoop(name: str | None) -> Event:
    return {"event": "active_loop", "timestamp": None, "name": name}


class ActionExecutionRejection(Exception):
    """The action refuses to run (e.g. a form cannot use the message): Rasa gets HTTP 400."""

    def __init__(self, action_name: str, message: str | None = None) -> None:
        self.action_name = action_name
        self.message = message or f"Custom action '{action_name}' rejected execution."
        super().__init__(self.message)


# --- tracker ----------------------------------------------------------------------------


class Tracker:
    """Read-only view of the conversation as Rasa sends it to the action server."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.sender_id: str = str(data.get("sender_id", ""))
        self.slots: dict[str, Any] = dict(data.get("slots") or {})
        self.latest_message: dict[str, Any] = dict(data.get("latest_message") or {})
        self.events: list[Event] = list(data.get("events") or [])
        self.paused: bool = bool(data.get("paused", False))
        self.active_loop: dict[str, Any] = dict(data.get("active_loop") or {})
        self.latest_action_name: str | None = data.get("latest_action_name")
        self.latest_input_channel: str | None = data.get("latest_input_channel")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tracker:
        return cls(data)

    def get_slot(self, key: str) -> Any:
        return self.slots.get(key)

    def add_slots(self, events: Iterable[Event]) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event.get("value")
                self.events.append(event)

    @property
    def active_loop_name(self) -> str | None:
        name = self.active_loop.get("name")
        return str(name) if name else None

    @property
    def latest_text(self) -> str:
        return str(self.latest_message.get("text") or "")

    @property
    def latest_intent(self) -> str | None:
        intent = self.latest_message.get("intent") or {}
        name = intent.get("name") if isinstance(intent, Mapping) else None
        return str(name) if name else None

    @property
    def latest_metadata(self) -> dict[str, Any]:
        meta = self.latest_message.get("metadata")
        return dict(meta) if isinstance(meta, Mapping) else {}

    def get_latest_entity_values(self, entity_type: str) -> Iterable[str]:
        for entity in self.latest_message.get("entities") or []:
            if entity.get("entity") == entity_type and entity.get("value") is not None:
                yield str(entity["value"])

    def slots_to_validate(self) -> dict[str, Any]:
        """Slot candidates the form appended after the last non-slot event (SDK semantics)."""
        count = 0
        for event in reversed(self.events):
            if event.get("event") != "slot":
                break
            count += 1
        return {e["name"]: e.get("value") for e in self.events[len(self.events) - count :]}

    def slot_before_candidates(self, key: str) -> Any:
        """The slot's value before the form appended this turn's candidates."""
        index = len(self.events)
        while index > 0 and self.events[index - 1].get("event") == "slot":
            index -= 1
        value = None
        for event in self.events[:index]:
            if event.get("event") == "slot" and event.get("name") == key:
                value = event.get("value")
            elif event.get("event") in {"session_started", "restart"}:
                value = None
        return value


# --- dispatcher -------------------------------------------------------------------------


class CollectingDispatcher:
    """Collects the bot's messages; they go back to Rasa as ``responses``."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def utter_message(
        self,
        text: str | None = None,
        image: str | None = None,
        json_message: dict[str, Any] | None = None,
        response: str | None = None,
        attachment: str | None = None,
        buttons: list[dict[str, Any]] | None = None,
        elements: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        message: dict[str, Any] = {
            "text": text,
            "buttons": buttons or [],
            "elements": elements or [],
            "custom": json_message or {},
            "template": response,
            "response": response,
            "image": image,
            "attachment": attachment,
        }
        message.update(kwargs)
        self.messages.append(message)


# --- actions ----------------------------------------------------------------------------


class Action:
    """Base class of every custom action (Rasa SDK convention)."""

    def name(self) -> str:
        raise NotImplementedError("an action must have a name")

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        raise NotImplementedError("an action must implement run()")

    def __str__(self) -> str:
        return f"Action('{self.name()}')"


class FormValidationAction(Action):
    """Validates the slot candidates of form ``form_name()`` with ``validate_<slot>`` methods.

    Each ``validate_<slot>(value, dispatcher, tracker, domain)`` returns a dict of slot
    values to set (``{slot: None}`` rejects the value, so the form asks again).
    :meth:`prepare` may return extra events computed before validation.
    """

    def form_name(self) -> str:
        raise NotImplementedError("a form validation action must name its form")

    def name(self) -> str:
        return f"validate_{self.form_name()}"

    async def prepare(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Event]:
        events = await self.prepare(dispatcher, tracker, domain)
        tracker.add_slots(events)
        candidates = tracker.slots_to_validate()
        requested = tracker.get_slot("requested_slot")
        for slot, value in candidates.items():
            validator = getattr(self, f"validate_{slot}", None)
            if validator is None:
                events.append(SlotSet(slot, value))
                continue
            # A value picked up in passing (an entity for another field) must neither
            # overwrite a valid answer with nothing nor make the bot complain about it.
            in_passing = requested is not None and slot != requested
            target = CollectingDispatcher() if in_passing else dispatcher
            result = validator(value, target, tracker, domain)
            if inspect.isawaitable(result):
                result = await result
            for key, new_value in dict(result or {}).items():
                if in_passing and key == slot and new_value is None:
                    new_value = tracker.slot_before_candidates(slot)
                events.append(SlotSet(key, new_value))
                tracker.slots[key] = new_value
        return events
