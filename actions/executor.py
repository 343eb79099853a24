"""Runs the custom actions for Rasa's action-server protocol, in the hub process.

Request (Rasa 3.6 ``RemoteAction``): ``{"next_action", "sender_id", "tracker",
"domain", "version"}``. Reply: ``{"events": [...], "responses": [...]}``. An unknown
action raises :class:`ActionNotFound` (HTTP 404 for Rasa), a rejected one
:class:`~actions.sdk.ActionExecutionRejection` (HTTP 400: Rasa lets other policies act).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from actions.contact_actions import (
    ActionCreateTicket,
    ActionPrepareContact,
    ActionSessionStart,
    ValidateContactForm,
)
from actions.faq_actions import (
    ActionAnswerFaq,
    ActionChooseSuggestion,
    ActionHandleAffirm,
    ActionHandleDeny,
    ActionRefuseOutOfScope,
)
from actions.sdk import Action, CollectingDispatcher, Tracker
from actions.services import HubServices

logger = logging.getLogger(__name__)


class ActionNotFound(LookupError):
    def __init__(self, action_name: str) -> None:
        self.action_name = action_name
        super().__init__(f"No registered action found for name '{action_name}'.")


class BadActionRequest(ValueError):
    """The request body is not an action-server call."""


def all_actions(services: HubServices) -> list[Action]:
    return [
        ActionSessionStart(services),
        ActionAnswerFaq(services),
        ActionChooseSuggestion(services),
        ActionHandleAffirm(services),
        ActionHandleDeny(services),
        ActionRefuseOutOfScope(services),
        ActionPrepareContact(services),
        ValidateContactForm(services),
        ActionCreateTicket(services),
    ]


class ActionExecutor:
    def __init__(self, actions: Iterable[Action]) -> None:
        self.actions: dict[str, Action] = {}
        for action in actions:
            if action.name() in self.actions:
                raise ValueError(f"two actions are named {action.name()!r}")
            self.actions[action.name()] = action

    @classmethod
    def for_services(cls, services: HubServices) -> ActionExecutor:
        return cls(all_actions(services))

    def names(self) -> list[str]:
        return sorted(self.actions)

    async def run(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        name = payload.get("next_action")
        tracker_data = payload.get("tracker")
        if not isinstance(name, str) or not name:
            raise BadActionRequest("'next_action' is missing")
        if not isinstance(tracker_data, Mapping):
            raise BadActionRequest("'tracker' is missing or not an object")
        action = self.actions.get(name)
        if action is None:
            raise ActionNotFound(name)
        domain = payload.get("domain")
        tracker = Tracker.from_dict(
            {**tracker_data, "sender_id": payload.get("sender_id") or tracker_data.get("sender_id")}
        )
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker, dict(domain) if isinstance(domain, Mapping) else {})
        logger.debug("action %s for %s: %d events", name, tracker.sender_id, len(events))
        return {"events": events, "responses": dispatcher.messages}
