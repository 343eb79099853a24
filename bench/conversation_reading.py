"""What the scripted citizen reads in the bot's replies of one turn.

The hub's message meta is preferred when present (``act``, ``faq_id``, ``ticket_code``,
``buttons`` as ``[{title, payload}]``); without it (today's hub) the acts are recognised from
the text: an FAQ answer is the text of an entry's answer, suggestions are numbered lines whose
text is an entry's question, a ticket is a code like ``1022-2026-000123``, a contact-form
prompt names a field (họ và tên, số điện thoại, địa chỉ, e-mail) next to an ask cue.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.conversation_data import FaqSet, fold, norm

TICKET_CODE = re.compile(r"\b[0-9A-Za-z]+-\d{4}-\d{6}\b")
_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.)]\s*(\S.*?)\s*$")
ANSWER_PREFIX = 120  # normalised characters of an answer that identify it in a reply

# payloads of the protocol's buttons (folded) -> what they mean
CLARIFY = ("hoi thong tin", "phan anh kien nghi")
OFFER = ("gui cho can bo",)
NONE_FITS = ("khong phai cac cau tren",)
YES = ("dung",)

_FIELD_WORDS = {
    "email": ("e mail", "email", "thu dien tu"),
    "phone": ("so dien thoai", "sdt"),
    "address": ("dia chi",),
    "full_name": ("ho va ten", "ho ten", "ten day du", "quy danh"),
}
_NOT_ADDRESS = ("dia chi thu dien tu", "dia chi e mail", "dia chi email")
_ASK_CUES = ("cho biet", "cung cap", "nhap ", "de lai", "co dia chi thu dien tu", "co e mail", "co email")
_MATTER_WORDS = ("noi dung", "viec gi", "van de gi", "van de nao", "can trinh bay", "muon phan anh")
_MATTER_CUES = ("cho biet", "moi anh", "moi chi", "vui long", "xin anh", "xin chi", "nhan ro")
_NAME_CONFIRM = ("ten cua anh chi la", "ten anh chi la", "anh chi ten la", "co phai ten")
_GREET = ("xin chao", "kinh chao", "chao anh", "chao ban", "chao mung")
_THANK = ("khong co gi", "rat vui", "cam on anh chi", "cam on ban", "khong dam")
_BYE = ("tam biet", "hen gap lai", "kinh chuc", "chuc anh", "da lien he")
_REFUSE = ("ngoai pham vi", "khong thuoc pham vi", "khong tiep nhan", "khong tra loi duoc", "khong ho tro")
_HANDOFF = ("tong dai vien se", "can bo se", "chuyen toi can bo", "chuyen cho can bo", "chuyen den can bo")
_ENGLISH = frozenset(
    "the you your please we our hotline vietnamese only answer answers in to can for this is are "
    "contact call thank thanks sorry language english speak reply message here".split()
)
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    seq: int
    text: str
    buttons: tuple[Button, ...] = ()
    act: str | None = None
    faq_id: str | None = None
    ticket_code: str | None = None

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> BotMessage:
        buttons = []
        for b in d.get("buttons") or []:  # old format: strings; new: {title, payload}
            if isinstance(b, str):
                buttons.append(Button(b, b))
            elif isinstance(b, Mapping):
                payload = str(b.get("payload") or b.get("title") or "")
                buttons.append(Button(str(b.get("title") or payload), payload))
        return cls(
            seq=int(d.get("seq") or 0),
            text=str(d.get("text") or ""),
            buttons=tuple(buttons),
            act=str(d["act"]) if d.get("act") else None,
            faq_id=str(d["faq_id"]) if d.get("faq_id") else None,
            ticket_code=str(d["ticket_code"]) if d.get("ticket_code") else None,
        )


@dataclass
class Reading:
    """One turn's replies, read."""

    messages: list[BotMessage] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # FAQ ids answered
    suggestions: dict[int, str] = field(default_factory=dict)  # number -> FAQ id
    suggested_lines: int = 0  # numbered lines offered (recognised or not)
    tickets: list[str] = field(default_factory=list)
    ask: str | None = None  # what the last asking reply wants: see Reader._ask
    buttons: tuple[Button, ...] = ()  # the last reply's buttons
    acts: list[str] = field(default_factory=list)  # meta acts, when the hub gives them
    greet: bool = False
    thank: bool = False
    goodbye: bool = False
    refuse: bool = False
    handoff: bool = False
    english: bool = False

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.messages)

    @property
    def form(self) -> bool:
        return self.ask in ("full_name", "phone", "address", "email", "confirm_name")

    def button(self, folded_payloads: Sequence[str]) -> str | None:
        """The payload of a button offered in this turn that means one of ``folded_payloads``."""
        for m in reversed(self.messages):
            for b in m.buttons:
                if fold(b.payload) in folded_payloads or fold(b.title) in folded_payloads:
                    return b.payload
        return None

    def tap_for(self, number: int) -> str:
        """What tapping suggestion ``number`` sends: its button's payload, else the number."""
        for m in reversed(self.messages):
            for b in m.buttons:
                p, t = fold(b.payload), fold(b.title)
                if p in (str(number), f"so {number}") or t.startswith(f"{number} ") or t == str(number):
                    return b.payload
        return str(number)

    def label(self) -> str:
        """A short description of the turn for the record: the main acts, in order."""
        parts = [f"answer:{a}" for a in self.answers]
        if self.suggested_lines:
            ids = (self.suggestions.get(n, "?") for n in range(1, self.suggested_lines + 1))
            parts.append(f"suggest[{','.join(ids)}]")
        parts += [f"ticket:{t}" for t in self.tickets]
        if self.ask:
            parts.append(f"ask:{self.ask}")
        for name in ("greet", "thank", "goodbye", "refuse", "handoff", "english"):
            if getattr(self, name):
                parts.append(name)
        if self.acts:
            parts.append("acts=" + "/".join(self.acts))
        if not self.messages:
            return "no reply"
        return " ".join(parts) or "other"


class Reader:
    def __init__(self, faq: FaqSet) -> None:
        self.faq = faq
        self._answers = [(e.id, norm(e.answer)[:ANSWER_PREFIX]) for e in faq.entries.values()]
        self._questions = {e.id: norm(e.question) for e in faq.entries.values()}

    def read(self, messages: Sequence[BotMessage]) -> Reading:
        r = Reading(messages=list(messages))
        for m in messages:
            self._read_message(m, r)
        last_buttons = next((m.buttons for m in reversed(messages) if m.buttons), ())
        r.buttons = last_buttons
        r.ask = next((a for m in reversed(messages) if (a := self._ask(m)) is not None), None)
        return r

    def _read_message(self, m: BotMessage, r: Reading) -> None:
        if m.act:
            r.acts.append(m.act)
        codes = [m.ticket_code] if m.ticket_code else TICKET_CODE.findall(m.text)
        r.tickets += [c for c in codes if c not in r.tickets]
        answered = m.faq_id or self.answer_in(m.text)
        if answered:
            r.answers.append(answered)
            return  # an answer's own words (lists, "xin lỗi") say nothing about the act
        for n, q in self._numbered(m):
            r.suggested_lines = max(r.suggested_lines, n)
            if (fid := self.question_id(q)) is not None:
                r.suggestions[n] = fid
        f, act = fold(m.text), (m.act or "").lower()
        r.greet |= "greet" in act or any(w in f for w in _GREET)
        r.thank |= "thank" in act or any(w in f for w in _THANK)
        r.goodbye |= "bye" in act or any(w in f for w in _BYE)
        r.refuse |= "refus" in act or "scope" in act or any(w in f for w in _REFUSE)
        r.handoff |= any(w in f for w in _HANDOFF)
        r.english |= "foreign" in act or len(_ENGLISH.intersection(_WORD.findall(m.text.lower()))) >= 3

    def answer_in(self, text: str) -> str | None:
        t = norm(text)
        hits = [fid for fid, prefix in self._answers if prefix and prefix in t]
        return hits[0] if hits else None

    @staticmethod
    def _numbered(m: BotMessage) -> list[tuple[int, str]]:
        lines = [(int(g[1]), g[2]) for line in m.text.splitlines() if (g := _NUMBERED.match(line))]
        if lines:
            return lines
        out = []  # titles "1. question" or a digit payload with the question as the title
        for b in m.buttons:
            if (g := _NUMBERED.match(b.title)) is not None:
                out.append((int(g[1]), g[2]))
            elif b.payload.strip().isdigit() and len(b.title) > 3:
                out.append((int(b.payload), b.title))
        return out

    def question_id(self, text: str) -> str | None:
        """The FAQ entry whose question this listed text is (titles may be shortened)."""
        t = norm(text).rstrip(" .")
        if not t:
            return None
        best, best_ratio = None, 0.0
        for fid, q in self._questions.items():
            if t == q or (len(t) >= 20 and (q.startswith(t) or t in q)):
                return fid
            ratio = difflib.SequenceMatcher(None, t, q).ratio()
            if ratio > best_ratio:
                best, best_ratio = fid, ratio
        return best if best_ratio >= 0.85 else None

    def _ask(self, m: BotMessage) -> str | None:
        """What this reply asks the citizen: confirm_name | full_name | phone | address |
        email | matter | clarify | offer | suggest; None when it asks nothing known."""
        if m.faq_id or self.answer_in(m.text):
            return None
        act = (m.act or "").lower()
        for key, meaning in (
            ("confirm", "confirm_name"),
            ("email", "email"),
            ("phone", "phone"),
            ("address", "address"),
            ("name", "full_name"),
            ("matter", "matter"),
            ("clarify", "clarify"),
            ("offer", "offer"),
        ):
            if key in act:
                return meaning
        payloads = {fold(b.payload) for b in m.buttons}
        if payloads & set(CLARIFY):
            return "clarify"
        if payloads & set(OFFER):
            return "offer"
        f = fold(m.text)
        if (payloads & set(YES) and " ten " in f"{f} ") or any(c in f for c in _NAME_CONFIRM):
            return "confirm_name"
        if (field_asked := self._field(m.text)) is not None:
            return field_asked
        if any(w in f for w in _MATTER_WORDS) and any(c in f for c in _MATTER_CUES):
            return "matter"
        if self._numbered(m):
            return "suggest"
        return None

    @staticmethod
    def _field(text: str) -> str | None:
        """The contact field a prompt asks for: the first one it names next to an ask cue."""
        f = fold(text)
        if TICKET_CODE.search(text) or not any(c in f for c in _ASK_CUES):
            return None
        padded = f" {f} "
        found: list[tuple[int, str]] = []
        for name, words in _FIELD_WORDS.items():
            for w in words:
                for hit in re.finditer(rf"(?<= ){re.escape(w)}(?= )", padded):
                    if name == "address" and any(padded.startswith(x, hit.start()) for x in _NOT_ADDRESS):
                        continue
                    found.append((hit.start(), name))
                    break
        return min(found)[1] if found else None
