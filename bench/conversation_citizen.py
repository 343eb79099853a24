"""The scripted citizen: one case, one fresh web chat conversation, at most ``max_turns``.

What the citizen does with each turn's replies (see ``bench/conversation_eval.py``):
* a question: an FAQ answer ends it (direct, or after one tap: right / wrong); the right
  numbered suggestion is tapped once; "information or report?" -> "Hỏi thông tin"; an offer
  to forward -> "Gửi cho cán bộ" (the question counts as missed); anything else (form,
  refusal, hand-off, no reply) ends it as missed;
* a report / a request for a person: "Phản ánh, kiến nghị" / "Gặp cán bộ", "Gửi cho cán bộ",
  "Không phải các câu trên" to suggestions, the matter when asked for it, the contact form
  filled (a field asked again after an answer: "Bỏ qua"), a name confirmed ("Đúng"); a
  ticket code ends it (its content is checked later, from the hub's database);
* small talk, out of scope, foreign language, affirm/deny, contrast questions: one turn.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.conversation_client import Timing, WebChat
from bench.conversation_data import CONTRAST, QUESTION, SHORT_ACTS, TICKET_GROUPS, UNANSWERABLE, Case
from bench.conversation_reading import NONE_FITS, OFFER, YES, Reader, Reading

FIELDS = ("full_name", "phone", "address", "email")
SHORT_REPLY = 300  # characters: an affirm/deny out of context wants a short reply
TYPED = {  # what the citizen types when the reply offers no button for it
    "information": "Hỏi thông tin",
    "report": "Phản ánh, kiến nghị",
    "person": "Gặp cán bộ",
    "forward": "Gửi cho cán bộ",
    "none_fits": "Không phải các câu trên",
    "yes": "Đúng",
    "skip": "Bỏ qua",
}


@dataclass
class Outcome:
    case: Case
    result: str = ""  # see the module doc of conversation_eval.py
    detail: str = ""
    path: list[str] = field(default_factory=list)  # one label per turn
    transcript: list[dict[str, Any]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # s, every turn with a reply
    first_latency: float | None = None
    turns_without_reply: int = 0
    conversation_ids: list[int] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    matter_asked: int = 0
    error: str | None = None


class Citizen:
    def __init__(self, case: Case) -> None:
        self.case = case
        self.out = Outcome(case)
        self.tapped = False
        self.handed = False  # a question went to staff: it is missed whatever follows
        self.said_none = False
        self.asks: Counter[str] = Counter()

    def move(self, r: Reading) -> str | None:
        """The citizen's next message after the bot's replies ``r``; None ends the conversation."""
        g = self.case.group
        if g in (QUESTION, UNANSWERABLE):
            return self._question(r)
        if g in TICKET_GROUPS:
            return self._ticket(r)
        self._one_turn(r)
        return None

    def _end(self, result: str, detail: str = "") -> None:
        self.out.result = self.out.result or result
        self.out.detail = self.out.detail or detail

    # -- questions -------------------------------------------------------------------------
    def _question(self, r: Reading) -> str | None:
        expected = self.case.expected_id
        if r.answers:
            a = r.answers[0]
            if expected is None:
                self._end("answered", a)
            elif self.handed:
                self._end("missed", f"answered {a} after going to staff")
            elif a == expected:
                self._end("tap" if self.tapped else "direct")
            else:
                self._end("wrong", a)
            return None
        if r.ask == "suggest" or (r.suggested_lines and r.ask is None):
            listed = [n for n, fid in sorted(r.suggestions.items()) if fid == expected]
            if listed and not self.tapped:
                self.tapped = True
                return r.tap_for(listed[0])
            none_fits = r.button(NONE_FITS)
            if none_fits and not self.said_none:
                self.said_none = True
                return none_fits
            return self._miss("suggested without the entry" if expected else "suggested")
        if r.ask == "clarify" and self.asks["clarify"] < 2:
            self.asks["clarify"] += 1
            return r.button(("hoi thong tin",)) or TYPED["information"]
        if r.ask == "offer" and not self.handed:
            self.handed = True
            self.out.detail = "offered to staff"
            return r.button(OFFER) or TYPED["forward"]
        if r.tickets:
            return self._miss("ticket")
        if r.form or r.ask == "matter":
            return self._miss(f"form ({r.ask})")
        return self._miss(category(r))

    def _miss(self, why: str) -> str | None:
        """Ends a question that got no answer; returns None (no next message)."""
        self._end("not answered" if self.case.expected_id is None else "missed", why)
        return None

    # -- reports and requests for a person --------------------------------------------------
    def _ticket(self, r: Reading) -> str | None:
        c = self.case
        if r.tickets:
            self.out.tickets += [t for t in r.tickets if t not in self.out.tickets]
            self._end("ticket")  # its content is checked against the matter afterwards
            return None
        if r.answers:
            self._end("no ticket", f"FAQ answer {r.answers[0]}")
            return None
        ask = r.ask
        if ask == "confirm_name":
            return r.button(YES) or TYPED["yes"]
        if ask in FIELDS and c.contact is not None:
            self.asks[ask] += 1
            if self.asks[ask] >= 3:
                self._end("no ticket", f"stuck at {ask}")
                return None
            return TYPED["skip"] if self.asks[ask] == 2 else str(getattr(c.contact, ask))
        if ask == "matter" and self.asks["matter"] < 2:
            self.asks["matter"] += 1
            self.out.matter_asked += 1
            return c.matter
        if ask == "clarify" and self.asks["clarify"] < 2:
            self.asks["clarify"] += 1
            if c.group == "report":
                return r.button(("phan anh kien nghi",)) or TYPED["report"]
            return r.button(("gap can bo",)) or TYPED["person"]
        if ask == "offer" and self.asks["offer"] < 2:
            self.asks["offer"] += 1
            return r.button(OFFER) or TYPED["forward"]
        if (ask == "suggest" or r.suggested_lines) and not self.said_none:
            self.said_none = True
            return r.button(NONE_FITS) or TYPED["none_fits"]
        self._end("no ticket", category(r) if ask is None else f"unanswered ask {ask}")
        return None

    # -- one-turn kinds ---------------------------------------------------------------------
    def _one_turn(self, r: Reading) -> None:
        g = self.case.group
        if g == CONTRAST:
            self._end(category(r), r.label())
            return
        if r.answers or r.form or r.tickets:
            self._end("unfitting", category(r))
            return
        fits = {
            "greet": r.greet,
            "thank": r.thank,
            "goodbye": r.goodbye,
            # a refusal with its reason, or, for a message that asks nothing at all (keyboard
            # mashing, a bare "alô"), a request to say what is needed; never a form
            "out_of_scope": r.refuse or (r.ask == "matter" and "form" not in r.acts),
            "foreign_language": r.english,
        }
        ok = fits.get(g, False)
        if g in SHORT_ACTS:
            ok = bool(r.messages) and len(r.text) <= SHORT_REPLY
        self._end("fitting" if ok else "unfitting", r.label())


def category(r: Reading) -> str:
    """One word for what a turn's replies did (for the record and the contrast questions)."""
    if not r.messages:
        return "no reply"
    if r.answers:
        return "answer"
    if r.tickets:
        return "ticket"
    if r.form or r.ask == "matter":
        return "form"
    for name in ("suggest", "clarify", "offer"):
        if r.ask == name:
            return name
    if r.suggested_lines:
        return "suggest"
    for name in ("refuse", "handoff", "greet", "thank", "goodbye", "english"):
        if getattr(r, name):
            return name
    return "other"


async def play(
    case: Case, http: aiohttp.ClientSession, base: str, reader: Reader, timing: Timing, max_turns: int
) -> Outcome:
    """One case in a fresh web chat session."""
    citizen = Citizen(case)
    out = citizen.out
    chat = WebChat(http, base, timing)
    try:
        await chat.open()
        text: str | None = case.text
        for _ in range(max_turns):
            if text is None:
                break
            turn = await chat.turn(text)
            r = reader.read(turn.replies)
            out.transcript.append({"citizen": text})
            out.transcript += [
                {"bot": m.text, **({"act": m.act} if m.act else {}), "complete": turn.complete}
                for m in turn.replies
            ]
            out.path.append(r.label())
            if turn.latency is not None:
                out.latencies.append(turn.latency)
                if out.first_latency is None and len(out.path) == 1:
                    out.first_latency = turn.latency
            else:
                out.turns_without_reply += 1
            text = citizen.move(r)
        if text is not None:
            citizen._end("missed" if case.group == QUESTION else "stopped", f"after {max_turns} turns")
    except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as err:
        out.error = f"{type(err).__name__}: {err}"
        citizen._end("error", out.error)
    finally:
        await chat.close()
        out.conversation_ids = list(chat.conversation_ids)
    return out
