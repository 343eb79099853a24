"""What the pipeline's commit does with an engine's result, inside its ONE transaction.

For the conversation engine's :class:`actions.dialogue.Decision`: the ticket (its code and
due time filled into the replies' ``{ticket_code}`` / ``{due_text}``), or the citizen's
note on the conversation's open ticket; the replies with their meta; the operator queue
(``to_waiting``) or leaving it (``back_to_bot``); the new dialogue state. Every state
change goes through :mod:`storage.record.conversations`. Nothing here guesses which came first:
the state changes are exactly the decision's.

For the other engines (FAQ only, Rasa's own dialogue, hand-off): the replies and, when
the result asks for it, the operator queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.dialogue import CONTACT_FIELDS, Button, Decision, DialogueState, Reply
from bot.engine import EngineReply, EngineResult
from bot.faq_learning import TAPPED, record
from handoff.calendar import WorkingCalendar
from handoff.tickets import add_citizen_note, answer_due_text, create_ticket
from storage.clock import as_utc
from storage.models import Conversation, Message, Ticket
from storage.record.conversations import back_to_bot, set_dialogue, to_waiting
from storage.record.outbound import add_reply

TICKET_CODE = "{ticket_code}"
DUE_TEXT = "{due_text}"


@dataclass
class Applied:
    replies: list[Message] = field(default_factory=list)
    queue_changed: bool = False  # entered or left the operator queue, or a ticket was opened
    ticket: Ticket | None = None


def joined(texts: Iterable[str]) -> str:
    """One message of several replies, a blank line between them."""
    return "\n\n".join(t for t in texts if t.strip())


def buttons_meta(buttons: tuple[Button, ...]) -> list[dict[str, str]]:
    return [{"title": b.title, "payload": b.payload} for b in buttons]


@dataclass(frozen=True)
class ResultApplier:
    calendar: WorkingCalendar
    ticket_prefix: str | None = None
    # channels whose turn's replies go as one message (``Capabilities.one_reply_per_turn``)
    one_message: frozenset[str] = frozenset()

    async def apply(
        self, s: AsyncSession, conv: Conversation, result: EngineResult, now: datetime, engine: str
    ) -> Applied:
        if result.decision is not None:
            return await self.apply_decision(s, conv, result.decision, result.meta, now, engine)
        return await self.apply_replies(s, conv, result, now, engine)

    async def apply_replies(
        self, s: AsyncSession, conv: Conversation, result: EngineResult, now: datetime, engine: str
    ) -> Applied:
        """An engine without a decision: its replies (its meta on the last one) and its hand-off."""
        out = Applied()
        replies = result.replies
        if conv.channel in self.one_message and len(replies) > 1:
            replies = [replace(replies[-1], text=joined(r.text for r in replies))]
        for n, answer in enumerate(replies, 1):
            meta: dict[str, Any] = {"buttons": buttons_meta(answer.buttons)} if answer.buttons else {}
            if n == len(replies):
                meta.update(result.meta)
            meta["engine"] = engine
            out.replies.append(await add_reply(s, conv, answer.text, now, meta=meta))
        if result.handoff:
            out.queue_changed = await to_waiting(s, conv, now, result.handoff_reason or "")
        return out

    async def apply_decision(
        self,
        s: AsyncSession,
        conv: Conversation,
        decision: Decision,
        extra_meta: Mapping[str, Any],
        now: datetime,
        engine: str,
    ) -> Applied:
        out = Applied()
        before = DialogueState.from_json(conv.dialogue)
        state = decision.state
        if decision.ticket is not None:
            out.ticket = await self._open_ticket(s, conv, decision, now)
            state = replace(state, ticket_code=out.ticket.code)
            out.queue_changed = True
            # a ticket always waits for staff, even when its form began before a hand-back
            await to_waiting(s, conv, now, decision.queue or f"Phiếu {out.ticket.code}")
        elif decision.ticket_note and (code := state.ticket_code or before.ticket_code):
            await add_citizen_note(s, conv, code, decision.ticket_note, now)
        fill = await self._placeholders(s, conv, out.ticket, state.ticket_code or before.ticket_code)
        meta: dict[str, Any] = {**extra_meta, "act": decision.act, "engine": engine}
        if decision.faq_id:
            meta["faq_id"] = decision.faq_id
        if out.ticket is not None:
            meta["ticket_code"] = out.ticket.code
        greeted_now = state.greeted and not before.greeted
        replies = decision.replies
        if conv.channel in self.one_message and len(replies) > 1:
            replies = (replace(replies[-1], text=joined(r.text for r in replies)),)
        last = len(replies) - 1
        for n, reply in enumerate(replies):
            # the decision's act, FAQ entry and ticket describe its last reply; a greeting put
            # before it is a greeting
            own = meta if n == last else {**extra_meta, "engine": engine, "act": decision.act}
            if n == 0 and n != last and greeted_now:
                own = {**own, "act": "greet"}
            out.replies.append(await self._reply(s, conv, reply, fill, own, now))
        if decision.picked_for and decision.faq_id and out.replies:
            # learning from use: the question the citizen's pick answers (bot.faq_learning)
            await record(
                s,
                now,
                text=decision.picked_for,
                entry_id=decision.faq_id,
                outcome=TAPPED,
                conversation_id=conv.id,
                message_id=out.replies[-1].id,
            )
        if decision.queue:
            out.queue_changed |= await to_waiting(s, conv, now, decision.queue)
        if decision.dequeue:
            out.queue_changed |= await back_to_bot(s, conv, now)
        # the queue shows how far the contact form got: a new step is news to the operators
        out.queue_changed |= _form_step(before) != _form_step(state)
        set_dialogue(conv, state.to_json())
        return out

    async def _open_ticket(
        self, s: AsyncSession, conv: Conversation, decision: Decision, now: datetime
    ) -> Ticket:
        req = decision.ticket
        assert req is not None
        contact = {k: v for k, v in req.contact.items() if k in CONTACT_FIELDS}
        return await create_ticket(
            s,
            conv,
            content=req.content.strip() or req.reason,
            now=now,
            kind=req.kind,
            full_name=contact.get("full_name"),
            phone=contact.get("phone"),
            email=contact.get("email"),
            address=contact.get("address"),
            prefix=self.ticket_prefix,
        )

    async def _placeholders(
        self, s: AsyncSession, conv: Conversation, ticket: Ticket | None, code: str | None
    ) -> dict[str, str]:
        """``{ticket_code}`` and ``{due_text}``: of the ticket opened now, else of the
        conversation's open ticket (its deadline once forwarded; before, the rule and no time:
        the clock starts at the forward, :func:`handoff.tickets.answer_due_text`)."""
        if ticket is None and code:
            ticket = (
                await s.execute(select(Ticket).where(Ticket.code == code, Ticket.conversation_id == conv.id))
            ).scalar_one_or_none()
        if ticket is None:
            return {}
        return {TICKET_CODE: ticket.code, DUE_TEXT: answer_due_text(as_utc(ticket.due_at))}

    @staticmethod
    async def _reply(
        s: AsyncSession,
        conv: Conversation,
        reply: Reply | EngineReply,
        fill: Mapping[str, str],
        meta: Mapping[str, Any],
        now: datetime,
    ) -> Message:
        text = reply.text
        for key, value in fill.items():  # not str.format: an FAQ answer may hold braces
            text = text.replace(key, value)
        stored = dict(meta)
        if reply.buttons:
            stored["buttons"] = buttons_meta(reply.buttons)
        return await add_reply(s, conv, text, now, meta=stored)


def _form_step(state: DialogueState) -> str | None:
    return state.form.step if state.form is not None else None
