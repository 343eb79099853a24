"""Offline first-turn play for ``bench/policy_cv.py``: one case, a fresh dialogue state, the
policy called directly with its constants patched; the citizen's next move (a tap, a quick
reply) is taken by the same :class:`bench.conversation_citizen.Citizen` the live eval uses,
reading the decision's replies with the same :class:`bench.conversation_reading.Reader`.

The play ends where the first decision's consequence is known:
* a question: an FAQ answer (right directly / after a tap: "direct" / "tap", another entry:
  "wrong"), or anything else the citizen cannot go on from ("missed");
* a report / a request for a person: the contact form opens (or a ticket is created):
  "ticket with matter" when the form holds the matter (or asks for it, and the citizen gives
  it), "ticket without matter" otherwise; "no ticket" when the play ends before a form;
* small talk, out of scope, foreign language, affirm/deny: one turn ("fitting" / "unfitting").
Quick replies ("Hỏi thông tin", "Phản ánh, kiến nghị", "Gửi cho cán bộ", a suggestion's
number) are further turns of the same play, as the citizen of ``conversation_eval`` taps them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

from actions import cues, policy
from actions.common import DEFAULT_SCOPE
from actions.dialogue import Decision, DialogueState, FaqView, Parse, Turn
from actions.services import HotlineInfo
from bench.conversation_citizen import Citizen
from bench.conversation_data import TICKET_GROUPS, Case
from bench.conversation_reading import BotMessage, Button, Reader
from bench.conversation_report import holds
from bench.policy_cv_inputs import FaqViews
from faq.bounds import bound_query

HOTLINE = HotlineInfo("Tổng đài 1022", DEFAULT_SCOPE)
MAX_TURNS = 5
MODULES: dict[str, ModuleType] = {"policy": policy, "cues": cues}


def shipped(names: list[str]) -> dict[str, float]:
    """The values in the code now of ``module.NAME`` constants."""
    return {n: float(getattr(MODULES[n.split(".")[0]], n.split(".")[1])) for n in names}


@contextlib.contextmanager
def patched(values: Mapping[str, float]) -> Iterator[None]:
    """Set ``module.NAME`` constants for the duration; the old values are always restored."""
    old: dict[str, object] = {}
    try:
        for name, value in values.items():
            mod, attr = name.split(".")
            module = MODULES[mod]
            old[name] = getattr(module, attr)
            current = old[name]
            setattr(module, attr, int(value) if isinstance(current, int) else value)
        yield
    finally:
        for name, was in old.items():
            mod, attr = name.split(".")
            setattr(MODULES[mod], attr, was)


# Pure functions of their arguments that the policy calls (through the module attribute, so a
# memo set here is what it calls); none reads a fitted constant (see :data:`MEMO_SAFE`) except
# ``read_acts`` (``report_like``: REPORT_MIN), memoised with REPORT_MIN in its key.
_PURE_CUES = (
    "is_question asks_for_person report_score is_foreign is_gibberish off_topic matter_of "
    "report_matter entities_in has is_affirm is_deny choice wants_cancel prefix"
).split()
MEMO_SAFE = frozenset(f"policy.{n}" for n in dir(policy) if n.isupper()) | {"cues.REPORT_MIN"}


@contextlib.contextmanager
def memoized(fitted: Sequence[str]) -> Iterator[None]:
    """Memoise the cues the policy calls (a speed-up only: the decisions are the same, which
    ``bench/policy_cv.py --check`` verifies); restored afterwards."""
    unsafe = sorted(set(fitted) - MEMO_SAFE)
    if unsafe:
        raise ValueError(f"memoised cues may read {unsafe}: fit them without the memo")
    old = {n: getattr(cues, n) for n in (*_PURE_CUES, "read_acts")}
    old_vague = policy.is_vague
    acts = functools.lru_cache(maxsize=None)(lambda text, _min: old["read_acts"](text))
    try:
        for n in _PURE_CUES:
            setattr(cues, n, functools.lru_cache(maxsize=None)(old[n]))
        setattr(cues, "read_acts", lambda text: acts(text, cues.REPORT_MIN))  # noqa: B010
        setattr(policy, "is_vague", functools.lru_cache(maxsize=None)(old_vague))  # noqa: B010
        yield
    finally:
        for n, f in old.items():
            setattr(cues, n, f)
        setattr(policy, "is_vague", old_vague)  # noqa: B010


class FastReader(Reader):
    """The citizen's :class:`Reader` with its pure look-ups memoised (difflib per suggestion)."""

    def __init__(self, faq: object) -> None:
        super().__init__(faq)  # type: ignore[arg-type]
        self._ids: dict[str, str | None] = {}
        self._readings: dict[tuple[object, ...], object] = {}

    def question_id(self, text: str) -> str | None:
        if text not in self._ids:
            self._ids[text] = super().question_id(text)
        return self._ids[text]

    def read_cached(self, messages: list[BotMessage]) -> object:
        key = tuple(messages)
        if key not in self._readings:
            self._readings[key] = self.read(messages)
        return self._readings[key]


@dataclass(frozen=True)
class Result:
    result: str
    path: str  # the acts of each turn, for the record


class Player:
    """Plays cases against one FAQ set's views with one NLU (rasa parses or the cues)."""

    def __init__(
        self,
        views: FaqViews,
        reader: FastReader,
        parse: Callable[[str], Parse],
    ) -> None:
        self.views = views
        self.reader = reader
        self.parse = parse

    def _turn(self, text: str, state: DialogueState) -> Turn:
        views = self.views
        pending: FaqView | None = views.get(state.pending_text) if state.pending_text else None
        return Turn(
            text=bound_query(text),
            parse=self.parse(text),
            faq=views.get(text),
            state=state,
            hotline=HOTLINE,
            first_contact=False,  # the web chat greets on open: the state says greeted
            answer_of=views.answer_of,
            pending_faq=pending,
        )

    def play(self, case: Case) -> Result:
        citizen = Citizen(case)
        state = DialogueState(greeted=True)
        text: str | None = case.text
        acts: list[str] = []
        for _ in range(MAX_TURNS):
            if text is None:
                break
            decision = policy.decide(self._turn(text, state))
            acts.append(decision.act)
            state = decision.state
            if case.group in TICKET_GROUPS and (decision.ticket is not None or state.form is not None):
                return Result(_ticket_result(case, decision), ">".join(acts))
            r = self.reader.read_cached(_messages(decision))
            text = citizen.move(r)  # type: ignore[arg-type]
        out = citizen.out
        result = out.result or ("missed" if case.expected_id else "stopped")
        if case.group in TICKET_GROUPS and result not in ("ticket with matter", "ticket without matter"):
            result = "no ticket"
        return Result(result, ">".join(acts))


def _messages(decision: Decision) -> list[BotMessage]:
    return [
        BotMessage(
            seq=i,
            text=r.text,
            buttons=tuple(Button(b.title, b.payload) for b in r.buttons),
            act=decision.act,
            faq_id=decision.faq_id,
        )
        for i, r in enumerate(decision.replies, 1)
    ]


def _ticket_result(case: Case, decision: Decision) -> str:
    """The form opened: does what becomes the ticket's content hold the case's matter? A form
    that asks for the matter gets it from the citizen (``conversation_citizen``)."""
    if decision.ticket is not None:
        content = decision.ticket.content
    else:
        form = decision.state.form
        assert form is not None
        if form.step == "matter":
            return "ticket with matter"
        content = "\n".join(p for p in (form.matter, *form.extra) if p)
    part_ok = case.group == "request_human_with_matter"
    ok = holds(case.matter or "", content, part_ok=part_ok)
    return "ticket with matter" if ok else "ticket without matter"
