"""What the actions need from the hub: one small Protocol the hub implements.

The actions run INSIDE the hub process (one FAQ index per hub worker); Rasa calls them
over HTTP at ``/rasa/actions`` (see :mod:`actions.server`). The hub passes an object
implementing :class:`HubServices` to :func:`actions.server.make_action_handler`.

``sender_id`` is the Rasa conversation id: the engine sends ``EngineRequest.sender_id``
(stable per hub conversation), so the hub can map it back to its conversation row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class DecisionKind(StrEnum):
    ANSWER = "answer"  # confident: answer with this FAQ entry
    SUGGEST = "suggest"  # unsure: offer up to 3 numbered questions
    HANDOFF = "handoff"  # nothing usable: a human must answer


@dataclass(frozen=True, slots=True)
class FaqAnswer:
    faq_id: str
    question: str
    answer: str
    agency: str  # the answering agency (đơn vị chủ trì), named to the citizen


@dataclass(frozen=True, slots=True)
class FaqSuggestion:
    faq_id: str
    question: str


@dataclass(frozen=True, slots=True)
class FaqDecision:
    kind: DecisionKind
    answer: FaqAnswer | None = None
    suggestions: tuple[FaqSuggestion, ...] = ()  # at most 3, best first


@dataclass(frozen=True, slots=True)
class TicketInfo:
    code: str  # e.g. "1022-2026-000123"
    due_text: (
        str  # when to expect an answer, citizen wording ("trong 8 giờ làm việc, trước 16:30 ngày 24/11/2026")
    )


@dataclass(frozen=True, slots=True)
class HotlineInfo:
    name: str = "Tổng đài 1022"  # what the bot calls itself
    scope: tuple[str, ...] = field(default_factory=tuple)  # domains it answers (Điều 5), citizen wording
    phone: str = ""  # the numbers a citizen can call, as shown (HUB_HOTLINE_PHONE); "" when not set
    privacy_notice: str = ""  # told once at a first contact (privacy.notice.short_notice); "" = none


class HubServices(Protocol):
    async def faq_decide(self, text: str) -> FaqDecision:
        """Answer, suggest (≤ 3) or hand off, for one citizen question."""
        ...

    async def faq_answer(self, faq_id: str) -> FaqAnswer | None:
        """One FAQ entry by id (the citizen picked a suggestion); None if it is gone."""
        ...

    async def create_ticket(
        self,
        sender_id: str,
        *,
        full_name: str | None,
        phone: str | None,
        address: str | None,
        email: str | None,
        reason: str,
        summary: str,
    ) -> TicketInfo:
        """Record a request for an officer (Điều 9.1/10.1) and return its code and due time."""
        ...

    async def contact_profile(self, sender_id: str) -> Mapping[str, Any]:
        """Known contact fields (full_name, phone, address, email) from the channel or earlier tickets."""
        ...

    async def request_handoff(self, sender_id: str, reason: str) -> None:
        """Move the conversation to ``waiting_human``: the bot stays silent until hand-back."""
        ...

    async def hotline_info(self) -> HotlineInfo:
        """The hotline's name and scope as shown to citizens (settings, not code)."""
        ...
