"""The hub's side of :class:`actions.services.HubServices`: what Rasa's custom actions
reach while running inside this hub worker (this worker's FAQ index, its database).

Rasa's ``sender_id`` is the pipeline's ``conv-<conversation id>-<created ms>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from actions.services import DecisionKind, FaqAnswer, FaqDecision, FaqSuggestion, HotlineInfo, TicketInfo
from bot.engine import conversation_of
from bot.engines.conversation_engine import answer_of_entry
from bot.greeting import hotline_info, privacy_notice
from handoff.tickets import answer_due_text, create_ticket, ticket_prefix
from storage.models import Contact, Conversation
from storage.record import conversations

if TYPE_CHECKING:
    from bot.hub import Hub

conversation_id = conversation_of


class HubActionServices:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def faq_decide(self, text: str) -> FaqDecision:
        index = self.hub.faq
        if index is None or not index.available:
            return FaqDecision(DecisionKind.HANDOFF)
        decision = await index.holder.decide_async(text)
        if decision.decision == "answer" and decision.entry is not None:
            return FaqDecision(DecisionKind.ANSWER, answer_of_entry(decision.entry))
        if decision.decision == "suggest":
            return FaqDecision(
                DecisionKind.SUGGEST,
                suggestions=tuple(
                    FaqSuggestion(c.entry.id, c.entry.question) for c in decision.candidates[:3]
                ),
            )
        return FaqDecision(DecisionKind.HANDOFF)

    async def faq_answer(self, faq_id: str) -> FaqAnswer | None:
        index = self.hub.faq
        if index is None or not index.available:
            return None
        entry = next((e for e in index.holder.engine.entries if e.id == faq_id), None)
        return answer_of_entry(entry) if entry is not None else None

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
        now = self.hub.clock.now()
        async with self.hub.sm() as s, s.begin():
            conv = await s.get(Conversation, conversation_id(sender_id), with_for_update=True)
            if conv is None:
                raise LookupError(f"no conversation for {sender_id}")
            ticket = await create_ticket(
                s,
                conv,
                content=summary or reason,
                now=now,
                kind="incident" if reason == "report_incident" else "request",
                full_name=full_name,
                phone=phone,
                email=email,
                address=address,
                prefix=ticket_prefix(self.hub.settings.env or None),
            )
            await conversations.to_waiting(s, conv, now, f"Phiếu {ticket.code}: {reason}")
        return TicketInfo(ticket.code, answer_due_text(None))  # the clock starts at the forward

    async def contact_profile(self, sender_id: str) -> Mapping[str, Any]:
        async with self.hub.sm() as s:
            conv = await s.get(Conversation, conversation_id(sender_id))
            contact = await s.get(Contact, conv.contact_id) if conv else None
            if contact is None:
                return {}
            fields = ("full_name", "phone", "address", "email")
            return {k: v for k in fields if (v := getattr(contact, k))}

    async def request_handoff(self, sender_id: str, reason: str) -> None:
        async with self.hub.sm() as s, s.begin():
            conv = await s.get(Conversation, conversation_id(sender_id), with_for_update=True)
            if conv is not None:
                await conversations.to_waiting(s, conv, self.hub.clock.now(), reason)

    async def hotline_info(self) -> HotlineInfo:
        async with self.hub.sm() as s:
            settings = self.hub.settings
            return await hotline_info(
                s, settings.hotline_name, settings.hotline_phone, privacy_notice(settings)
            )
