"""The scripted citizen's material for ``bench/conversation_eval.py``: FAQ sets, the cases
(one fresh web chat conversation each), text normalisation and the citizen's contact details.

Cases come from ``<faq set>/queries.csv`` (``query,expected_id,kind``: questions with the
entry that answers them, ``unanswerable`` without) and ``dev-conversations/messages.csv``
(``text,intent,style``). A ``request_human`` row (a person asked for, no matter said) is paired
deterministically with a ``report`` row: that report's text is the matter the citizen gives
when the bot asks for it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
FAQ_SETS = {"dev": EVAL / "dev", "dev-public-services": EVAL / "dev-public-services"}
MESSAGES = EVAL / "dev-conversations" / "messages.csv"

# groups a case belongs to (what is judged), in report order
QUESTION = "question"
UNANSWERABLE = "unanswerable"
TICKET_GROUPS = ("report", "request_human", "request_human_with_matter")
SMALL_TALK = ("greet", "thank", "goodbye", "out_of_scope", "foreign_language")
SHORT_ACTS = ("affirm", "deny")
CONTRAST = "contrast_question"  # messages.csv "question" rows: no expected entry

_PUNCT = re.compile(r"[^\w]+", re.UNICODE)


def norm(text: str) -> str:
    """Lower case, NFC, punctuation as spaces, whitespace collapsed (diacritics kept)."""
    return " ".join(_PUNCT.sub(" ", unicodedata.normalize("NFC", text).lower()).split())


def fold(text: str) -> str:
    """:func:`norm` without diacritics (đ -> d): for cue words in the bot's prompts."""
    decomposed = unicodedata.normalize("NFD", norm(text).replace("đ", "d"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: str
    answer: str


@dataclass
class FaqSet:
    name: str
    path: Path  # the faq.csv an agency would upload
    entries: dict[str, FaqEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, name: str) -> FaqSet:
        path = FAQ_SETS[name] / "faq.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        entries = {r["id"]: FaqEntry(r["id"], r["question"], r["answer"]) for r in rows}
        return cls(name, path, entries)


@dataclass(frozen=True)
class Contact:
    full_name: str
    phone: str
    address: str
    email: str  # an address, or "Bỏ qua" (the citizen skips the field)


@dataclass(frozen=True)
class Case:
    id: str  # q:<row> (queries.csv) or m:<row> (messages.csv)
    group: str  # question | unanswerable | report | request_human | ... | contrast_question
    kind: str  # queries.csv kind or messages.csv style
    text: str
    expected_id: str | None = None
    matter: str | None = None  # what a ticket must hold (reports and requests for a person)
    contact: Contact | None = None


_NAMES = (
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Hải",
    "Vũ Thị Hoa",
    "Đỗ Văn Khánh",
    "Bùi Thị Lan",
)
_ADDRESSES = (
    "thôn 3, xã Quảng Tâm, thành phố Thanh Hóa",
    "số 12 phố Lê Lai, phường Ba Đình, thành phố Thanh Hóa",
    "xóm 5, xã Hoằng Lộc, huyện Hoằng Hóa",
    "khu phố 2, phường Bắc Sơn, thị xã Bỉm Sơn",
)


def contact_for(row: int) -> Contact:
    """Deterministic contact details; every other citizen skips the e-mail with "Bỏ qua"."""
    name = _NAMES[row % len(_NAMES)]
    phone = "09" + f"{(row * 7919 + 1234567) % 10**8:08d}"
    email = f"congdan{row}@example.com" if row % 2 == 0 else "Bỏ qua"
    return Contact(name, phone, _ADDRESSES[row % len(_ADDRESSES)], email)


def query_cases(faq_set: str) -> list[Case]:
    path = FAQ_SETS[faq_set] / "queries.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cases = []
    for i, r in enumerate(rows):
        expected = (r.get("expected_id") or "").strip() or None
        group = QUESTION if expected else UNANSWERABLE
        kind = r.get("kind") or ("paraphrase" if expected else UNANSWERABLE)
        cases.append(Case(f"q:{i}", group, kind, r["query"], expected, contact=contact_for(i)))
    return cases


def message_cases(path: Path = MESSAGES) -> list[Case]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    reports = [r["text"] for r in rows if r["intent"] == "report"]
    cases = []
    asked = 0  # request_human rows seen: pairs each with the next report row
    for i, r in enumerate(rows):
        intent, text = r["intent"], r["text"]
        group = CONTRAST if intent == "question" else intent
        matter = None
        if intent in ("report", "request_human_with_matter"):
            matter = text
        elif intent == "request_human":
            matter = reports[(asked * 7) % len(reports)] if reports else None
            asked += 1
        cases.append(Case(f"m:{i}", group, r.get("style") or "", text, None, matter, contact_for(i)))
    return cases


def spread(cases: list[Case], limit: int | None) -> list[Case]:
    """At most ``limit`` cases, taken evenly through the file (so every kind shows up)."""
    if not limit or limit >= len(cases):
        return cases
    step = len(cases) / limit
    return [cases[int(k * step)] for k in range(limit)]
