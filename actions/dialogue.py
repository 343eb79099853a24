"""The vocabulary of one conversation turn: what the hub knows when a citizen writes, what
the policy decides, and the dialogue state kept with the conversation between turns.

Pure data, no I/O. The hub (``bot.engines.conversation_engine``) gathers a :class:`Turn`
(the NLU's parse of the message, the FAQ engine's view of it, the stored
:class:`DialogueState`), hands it to :func:`actions.policy.decide`, and applies the
:class:`Decision` in one transaction: replies, the new dialogue state, the operator queue,
the ticket. ``DialogueState`` round-trips through JSON (``to_json`` / ``from_json``) and is
stored in ``conversations.dialogue``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from actions.services import FaqAnswer, FaqDecision, HotlineInfo

# ---------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Entity:
    name: str  # person_name | phone | address | email
    value: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class Parse:
    """What an NLU read in one message: the dialogue act and the entities.

    ``source`` is ``"rasa"`` (Rasa's ``/model/parse``) or ``"cues"`` (the hub's own
    lexical cues, :mod:`actions.cues`, used without Rasa and as corroborating evidence).
    """

    intent: str | None = None  # greet, goodbye, thank, affirm, deny, ask_question, request_human,
    # report_incident, provide_contact, out_of_scope, choose_suggestion, nlu_fallback
    confidence: float = 0.0
    entities: tuple[Entity, ...] = ()
    ranking: tuple[tuple[str, float], ...] = ()
    source: str = "cues"

    def score(self, intent: str) -> float:
        """This intent's confidence in the ranking (0 when absent)."""
        if intent == self.intent:
            return self.confidence
        return next((c for name, c in self.ranking if name == intent), 0.0)


@dataclass(frozen=True, slots=True)
class FaqView:
    """The FAQ engine's evidence for one text: its decision and the best candidate's score."""

    decision: FaqDecision
    score: float = 0.0  # the top candidate's fused score, 0 when there is none
    answer_at: float = 1.0  # the engine's own answer threshold: the unit of its score scale
    # the scores are on the scale the policy's thresholds were fitted on (the engine with its
    # semantic model); otherwise (lexical only) the policy keeps the engine's own decisions
    calibrated: bool = True


@dataclass(frozen=True, slots=True)
class Turn:
    text: str
    parse: Parse
    faq: FaqView
    state: DialogueState
    hotline: HotlineInfo
    profile: Mapping[str, str] = field(default_factory=dict)  # contact fields the hub already knows
    first_contact: bool = False  # the citizen's first message ever on this channel identity
    answer_of: Callable[[str], FaqAnswer | None] = lambda _id: None  # an FAQ entry by id
    pending_faq: FaqView | None = None  # the FAQ's view of ``state.pending_text``, when there is one


# ---------------------------------------------------------------------------- state

FormStep = Literal["matter", "confirm_name", "full_name", "phone", "address", "email"]
CONTACT_FIELDS: tuple[str, ...] = ("full_name", "phone", "address", "email")


@dataclass(frozen=True, slots=True)
class FormState:
    """The contact form (Điều 7.2) in progress."""

    reason: str  # request_human | report_incident | unanswered_question
    step: str  # a FormStep
    matter: str | None = None  # what the citizen needs: the ticket's content
    extra: tuple[str, ...] = ()  # what else the citizen wrote meanwhile (goes into the ticket)
    values: Mapping[str, str] = field(default_factory=dict)  # field -> value or DECLINED ("-")
    name_candidate: str | None = None  # a name the NLU found, to confirm before use


@dataclass(frozen=True, slots=True)
class DialogueState:
    greeted: bool = False
    suggestions: tuple[str, ...] = ()  # FAQ ids offered in the last reply, in order
    pending: str | None = None  # "clarify" | "offer_ticket" | None: what the last reply asked
    pending_text: str | None = None  # the citizen's text the pending question is about
    form: FormState | None = None
    ticket_code: str | None = None  # the ticket this conversation opened (extra messages go there)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> DialogueState:
        if not data:
            return cls()
        form = data.get("form")
        return cls(
            greeted=bool(data.get("greeted")),
            suggestions=tuple(str(s) for s in data.get("suggestions") or ()),
            pending=data.get("pending"),
            pending_text=data.get("pending_text"),
            form=(
                FormState(
                    reason=str(form["reason"]),
                    step=str(form["step"]),
                    matter=form.get("matter"),
                    extra=tuple(form.get("extra") or ()),
                    values=dict(form.get("values") or {}),
                    name_candidate=form.get("name_candidate"),
                )
                if isinstance(form, Mapping)
                else None
            ),
            ticket_code=data.get("ticket_code"),
        )

    def cleared(self) -> DialogueState:
        """Nothing pending, no suggestions (the greeting and the ticket are kept)."""
        return replace(self, suggestions=(), pending=None, pending_text=None)


# ---------------------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class Button:
    title: str  # what the citizen sees (Facebook: at most 20 characters)
    payload: str  # what comes back when tapped: also what a citizen could type


@dataclass(frozen=True, slots=True)
class Reply:
    text: str  # may hold {ticket_code} and {due_text}, filled when the ticket is created
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketRequest:
    """Open the ticket now, in the same transaction as the reply."""

    kind: str  # "incident" (a report) | "request"
    reason: str  # request_human | report_incident | unanswered_question
    content: str  # the citizen's matter, then what they added
    contact: Mapping[str, str | None] = field(default_factory=dict)  # None: declined / unknown


@dataclass(frozen=True, slots=True)
class Decision:
    act: str  # what was decided, for the record and the metrics: answer, suggest, greet, ...
    replies: tuple[Reply, ...]
    state: DialogueState
    faq_id: str | None = None  # the FAQ entry answered
    picked_for: str | None = None  # a suggestion was picked: the citizen's question it answers
    queue: str | None = None  # put the conversation in the operator queue now, with this reason
    dequeue: bool = False  # the citizen withdrew before any ticket: back to the bot
    ticket: TicketRequest | None = None
    ticket_note: str | None = None  # add this citizen text to the conversation's open ticket
