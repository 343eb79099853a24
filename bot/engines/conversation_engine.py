"""The hub's own conversation engine (issue 11): the hub owns the conversation.

For each citizen message it gathers a :class:`actions.dialogue.Turn` and asks the pure
policy (:func:`actions.policy.decide`) for a :class:`actions.dialogue.Decision`:

* the dialogue act and entities: Rasa's NLU (:class:`bot.engines.rasa_engine.RasaNlu`,
  ``POST /model/parse``) when configured and up, else the hub's own cues
  (:func:`actions.cues.read_acts`); which one read it is recorded in the reply's meta
  (``"nlu": "rasa" | "cues"``);
* the FAQ engine's view of the message, and of the text a pending question is about
  (``DialogueState.pending_text``); the NLU and the FAQ run concurrently;
* every reader, the policy included, reads the bounded prefix of the message
  (:mod:`faq.bounds`): a 100,000-character message costs what a short one does; what the
  decision keeps of the message verbatim (ticket content, notes) gets the whole of it;
* the dialogue state stored with the conversation, whether this is the identity's first
  contact, the contact fields the hub knows and the hotline as citizens see it.

The engine changes nothing itself: the pipeline applies the decision (replies, ticket,
queue, dialogue state) in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from actions import cues
from actions.cues import read_acts
from actions.dialogue import CONTACT_FIELDS, Decision, DialogueState, FaqView, Parse, Turn
from actions.policy import decide
from actions.services import DecisionKind, FaqAnswer, FaqDecision, FaqSuggestion, HotlineInfo
from bot.engine import EngineReply, EngineRequest, EngineResult, EngineUnavailable
from bot.engines.rasa_engine import RasaNlu
from bot.faq_store import FaqIndex
from bot.greeting import hotline_info
from faq import model as faq_model
from faq.bounds import bound_query
from faq.engine import FaqEngine
from storage.session import SessionMaker

log = logging.getLogger(__name__)

NO_FAQ = FaqView(FaqDecision(DecisionKind.HANDOFF), 0.0)
VIEW_CACHE = 512  # recent FAQ views kept per process (a tap's pending text was read a turn before)


class HotlineSource:
    """The hotline as citizens see it: its name and phone numbers (settings) and its scope
    (the active console domains, read again at most every ``ttl`` seconds)."""

    def __init__(
        self,
        sm: SessionMaker,
        name: str,
        phone: str = "",
        *,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        notice: str = "",
    ) -> None:
        self.sm, self.name, self.phone, self.ttl, self.clock = sm, name, phone, ttl, clock
        self.notice = notice  # the short privacy notice told at a first contact
        self._info: HotlineInfo | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> HotlineInfo:
        if self._info is None or self.clock() - self._read_at >= self.ttl:
            async with self._lock:
                if self._info is None or self.clock() - self._read_at >= self.ttl:
                    self._info = await self._read()
                    self._read_at = self.clock()
        return self._info

    async def _read(self) -> HotlineInfo:
        try:
            async with self.sm() as s:
                return await hotline_info(s, self.name, self.phone, self.notice)
        except Exception:
            log.warning("could not read the hotline's domains; keeping the last scope", exc_info=True)
            # the texts' default scope
            return self._info or HotlineInfo(self.name, phone=self.phone, privacy_notice=self.notice)


def faq_view(decision: faq_model.FaqDecision, engine: FaqEngine) -> FaqView:
    """The FAQ engine's decision as the policy sees it, with the best candidate's score."""
    score = decision.candidates[0].score if decision.candidates else 0.0
    unit, fitted = engine.config.answer_threshold, engine.semantic is not None
    # the closest entries whatever the decision: the policy may offer them instead of an
    # answer it is not sure enough of, or for a question the engine would hand off
    suggestions = tuple(FaqSuggestion(e.id, e.question) for e in engine.suggestions(decision))
    if decision.decision == "answer" and decision.entry is not None:
        answer = answer_of_entry(decision.entry)
        return FaqView(FaqDecision(DecisionKind.ANSWER, answer, suggestions=suggestions), score, unit, fitted)
    if decision.decision == "suggest":
        return FaqView(FaqDecision(DecisionKind.SUGGEST, suggestions=suggestions), score, unit, fitted)
    return FaqView(FaqDecision(DecisionKind.HANDOFF, suggestions=suggestions), score, unit, fitted)


def _policy_reads_nothing(state: DialogueState, text: str) -> bool:
    """The policy will look at neither the NLU's reading nor the FAQ's view: an answer to the
    contact form that asks nothing (the form reads it with its own checks), or the number of
    a suggestion. Neither Rasa nor the FAQ model is asked then (most turns of a form)."""
    if state.form is not None:
        return not cues.is_question(text)
    return bool(state.suggestions) and cues.choice(text, len(state.suggestions)) is not None


async def _no_parse() -> Parse:
    return Parse(source="none")


async def _no_view() -> FaqView:
    return NO_FAQ


def answer_of_entry(entry: faq_model.FaqEntry) -> FaqAnswer:
    return FaqAnswer(entry.id, entry.question, entry.answer, entry.agency)


def whole_text(decision: Decision, read: str, whole: str) -> Decision:
    """The policy read a bounded prefix of a long message; what it keeps of the message
    verbatim (the ticket's content, a note on the ticket, the form's matter and additions,
    the text a pending question is about) gets the whole message back."""
    if read == whole:
        return decision

    def back(value: str | None) -> str | None:
        return value.replace(read, whole) if value and read in value else value

    state = decision.state
    form = state.form
    if form is not None:
        form = replace(form, matter=back(form.matter), extra=tuple(back(x) or x for x in form.extra))
    state = replace(state, form=form, pending_text=back(state.pending_text))
    ticket = decision.ticket
    if ticket is not None:
        ticket = replace(ticket, content=back(ticket.content) or ticket.content)
    return replace(decision, state=state, ticket=ticket, ticket_note=back(decision.ticket_note))


def known_profile(profile: Mapping[str, Any]) -> dict[str, str]:
    """The contact fields (Điều 7.2) the hub already knows, as the policy reads them."""
    return {k: str(v) for k in CONTACT_FIELDS if (v := profile.get(k)) and str(v).strip()}


class ConversationEngine:
    """A :class:`bot.engine.DialogueEngine` whose result carries the policy's decision."""

    name = "hub"
    owns_dialogue = True  # the pipeline asks it in ``waiting_human`` too and applies its decisions

    def __init__(
        self,
        faq: FaqIndex | None,
        hotline: HotlineSource,
        *,
        nlu: RasaNlu | None = None,
        on_nlu: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.faq = faq
        self.hotline = hotline
        self.nlu = nlu
        self.on_nlu = on_nlu  # (nlu name, answered?) for the metrics
        self._entries: tuple[object, dict[str, faq_model.FaqEntry]] = (None, {})
        self._views: OrderedDict[tuple[int, str], tuple[FaqEngine, FaqView]] = OrderedDict()

    async def respond(self, req: EngineRequest) -> EngineResult:
        state = DialogueState.from_json(req.dialogue)
        pending = state.pending_text
        read = bound_query(req.text)  # what every reader reads (faq.bounds): the policy too
        reads = not _policy_reads_nothing(state, read)
        parse, view, pending_view, hotline = await asyncio.gather(
            self.parse(read) if reads else _no_parse(),
            self.view(read) if reads else _no_view(),
            self.view(pending) if pending and state.pending == "clarify" else _none(),
            self.hotline.get(),
        )
        turn = Turn(
            text=read,
            parse=parse,
            faq=view,
            state=state,
            hotline=hotline,
            profile=known_profile(req.profile),
            first_contact=req.first_contact,
            answer_of=self.answer_of,
            pending_faq=pending_view,
        )
        decision = whole_text(decide(turn), read, req.text)
        meta: dict[str, Any] = {"act": decision.act, "nlu": parse.source}
        if decision.faq_id:
            meta["faq_id"] = decision.faq_id
        return EngineResult(
            [EngineReply(r.text, r.buttons) for r in decision.replies],
            handoff=decision.queue is not None,
            handoff_reason=decision.queue,
            meta=meta,
            decision=decision,
        )

    async def parse(self, text: str) -> Parse:
        """Rasa's reading when it answers, else the hub's cues (both read the bounded prefix)."""
        if self.nlu is not None:
            try:
                parse = await self.nlu.parse(text)
            except EngineUnavailable as err:
                log.warning("Rasa NLU unavailable (%s): the hub's cues read the message", err)
                self._report(False)
            else:
                self._report(True)
                return parse
        return read_acts(bound_query(text))  # bounded already from respond(); cheap to repeat

    def _report(self, ok: bool) -> None:
        if self.on_nlu is not None and self.nlu is not None:
            self.on_nlu(self.nlu.name, ok)

    async def view(self, text: str) -> FaqView:
        """The FAQ's view of ``text``. Recent views are kept per active engine: the text a
        pending question is about was read on the turn before (a tap costs no second match)."""
        if self.faq is None or not self.faq.available:
            return NO_FAQ
        holder = self.faq.holder
        engine = holder.engine
        key = (id(engine), text)
        cached = self._views.get(key)
        if cached is not None and cached[0] is engine:
            self._views.move_to_end(key)
            return cached[1]
        view = faq_view(await holder.decide_async(text), engine)
        self._views[key] = (engine, view)
        while len(self._views) > VIEW_CACHE:
            self._views.popitem(last=False)
        return view

    def answer_of(self, faq_id: str) -> FaqAnswer | None:
        """An FAQ entry of the active set by id (None when it is gone)."""
        if self.faq is None or not self.faq.available:
            return None
        engine = self.faq.holder.engine
        if self._entries[0] is not engine:
            self._entries = (engine, {e.id: e for e in engine.entries})
        entry = self._entries[1].get(faq_id)
        return answer_of_entry(entry) if entry is not None else None

    async def resume(self, sender_id: str) -> None:
        """Nothing to do: the dialogue state lives with the conversation in the hub."""
        return None

    async def close(self) -> None:
        if self.nlu is not None:
            await self.nlu.close()


async def _none() -> None:
    return None
