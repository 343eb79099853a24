"""Generic Vietnamese language cues: questions, requests for a person, reports, short acts,
foreign-language messages; and :func:`read_acts`, the hub's own dialogue-act reading.

Pure functions over the text. Accented, no-diacritics and common teencode spellings are all
read: each word is lower-cased, expanded through the teencode table
(``faq/data/teencode.tsv``, read as a file; ``ko`` -> ``không``) and compared with the cue
words of :mod:`actions.cue_words` either as written or, for a word typed without
diacritics, folded (:func:`actions.fields.fold`).
"""

from __future__ import annotations

import re
import unicodedata

from actions import cue_words as W
from actions.cue_match import Tok, covered, find, has, particle
from actions.cue_match import is_foreign as is_foreign  # re-exported: the cues' public API
from actions.cue_match import is_gibberish as is_gibberish
from actions.cue_match import prefix as prefix
from actions.cue_match import tokens as tokens
from actions.cue_match import words as words
from actions.dialogue import Entity, Parse
from actions.fields import clean_name, find_email, fold, normalize_phone, parse_choice

# ---------------------------------------------------------------------------- questions

_NEGATION = frozenset(W.NEGATION)
_NEGATION_FOLDED = frozenset(W.NEGATION_FOLDED)


# A negation's scope ends at these ("không có máy thì khai báo kiểu gì": a question).
_SCOPE_BREAK = frozenset("thi ma nhung nen de neu".split())


def _negation(tok: Tok) -> bool:
    return tok.acc in _NEGATION or (tok.plain and tok.fold in _NEGATION_FOLDED)


_BRIDGE = frozenset(W.WH_BRIDGE) | frozenset(fold(w) for w in W.WH_BRIDGE)


def _wh_question(toks: tuple[Tok, ...], i: int, j: int, anywhere: bool = False) -> bool:
    """An interrogative pronoun used as a question, not as an indefinite ("không ai", "nào cũng")."""
    clause = toks[i].clause
    before = [t for t in toks[:i] if t.clause == clause and not particle(t)]
    after = [t for t in toks[j:] if t.clause == clause and not particle(t)]
    cut = max((k + 1 for k, t in enumerate(before) if t.fold in _SCOPE_BREAK), default=0)
    if any(_negation(t) for t in before[cut:]) or any(t.fold == "cung" for t in after):
        return False
    if anywhere:
        return True
    if toks[i].fold == "hay":  # "A hay B": an alternative question, between two parts
        return bool(before) and bool(after)
    return not before or len(after) <= W.WH_NEAR_END or after[0].acc in _BRIDGE or after[0].fold in _BRIDGE


def is_question(text: str) -> bool:
    """An interrogative message: a question mark or a question word/construction."""
    if "?" in text:
        return True
    toks = tokens(text)
    negatives = find(toks, W.NOT_QUESTION)
    if any(not covered(span, negatives) for span in find(toks, W.QUESTION)):
        return True
    if any(not covered(sp, negatives) and _wh_question(toks, *sp) for sp in find(toks, W.QUESTION_WH)):
        return True
    return any(
        not covered(sp, negatives) and _wh_question(toks, *sp, anywhere=True)
        for sp in find(toks, W.QUESTION_WHAT)
    )


# ---------------------------------------------------------------------------- a person


def _person_spans(toks: tuple[Tok, ...]) -> list[tuple[int, int]]:
    spans = find(toks, W.PERSON_PHRASE)
    nouns = find(toks, W.PERSON_NOUN)
    for vs, ve in find(toks, W.PERSON_VERB):
        spans += [(vs, ne) for ns, ne in nouns if ve <= ns and ns - ve <= W.PERSON_GAP]
    return spans


def asks_for_person(text: str) -> bool:
    """ "cho tôi gặp cán bộ", "nối máy tổng đài viên", "gap nhan vien", "có ai trực không"."""
    return bool(_person_spans(tokens(text)))


MATTER_MIN_WORDS = 3  # content words left after the request for a person: the matter is said
_FILLER = frozenset(W.FILLER)
_FILLER_FOLDED = frozenset(fold(w) for w in W.FILLER)
_PERSON_FILLER = frozenset(W.PERSON_FILLER.replace("|", " ").split())
_PERSON_FILLER_FOLDED = frozenset(fold(w) for w in _PERSON_FILLER)


def _filler(tok: Tok, more: frozenset[str] = frozenset(), more_folded: frozenset[str] = frozenset()) -> bool:
    if tok.acc in _FILLER or tok.acc in more:
        return True
    return tok.plain and (tok.fold in _FILLER_FOLDED or tok.fold in more_folded)


def content_words(text: str, extra_filler: str = "") -> list[str]:
    """The words of ``text`` that carry a topic (pronouns, particles, politeness left out)."""
    more = frozenset(extra_filler.split())
    more_folded = frozenset(fold(w) for w in more)
    return [t.acc for t in tokens(text) if t.acc.isalpha() and not _filler(t, more, more_folded)]


_NAME_GIVEN = re.compile(
    r"(?i)\b(?:(?:họ và tên|họ tên|tên)(?:\s+(?:tôi|em|mình|cháu|của tôi))?\s*(?:là|:)|"
    r"(?:ho va ten|ho ten|ten)(?:\s+(?:toi|em|minh|chau))?\s*(?:la|:))\s*([^,.;!?\n\d]{2,40})"
)


def without_contact(text: str) -> str:
    """``text`` without phone numbers, e-mails and "tên (tôi) là X"."""
    text = " ".join(w for w in text.split() if "@" not in w)
    text = re.sub(r"\+?\d[\d\s.\-()]{6,16}\d", " ", text)
    return _NAME_GIVEN.sub(" ", text)


_LEADING = re.compile(r"(?i)^(?:[\s,.;:!?-]|(?:và|va|để|de|về|ve|vì|vi|là|la|do|rằng|rang)\b)+")


def _clause_rest(text: str, toks: list[Tok], spans: list[tuple[int, int]], first: int) -> str:
    """The clause's text without a request for a person that opens it ("cho tôi gặp cán bộ để ...")."""
    start = toks[0].start
    for s, e in spans:
        if all(_filler(t, _PERSON_FILLER, _PERSON_FILLER_FOLDED) for t in toks[: s - first]):
            start = max(start, toks[e - first - 1].end)
    return _LEADING.sub("", text[start : toks[-1].end])


def matter_of(text: str, min_words: int = MATTER_MIN_WORDS) -> str | None:
    """What the citizen needs, with the request for a person (and contact details) taken out;
    None when fewer than ``min_words`` content words are left ("cho tôi gặp cán bộ trực
    tổng đài")."""
    text = unicodedata.normalize("NFC", text)
    toks = tokens(text)
    spans = _person_spans(toks)
    kept: list[str] = []
    for clause in sorted({t.clause for t in toks}):
        idx = [i for i, t in enumerate(toks) if t.clause == clause]
        own = [(s, e) for s, e in spans if idx[0] <= s < e <= idx[-1] + 1]
        rest = _clause_rest(text, [toks[i] for i in idx], own, idx[0])
        if content_words(without_contact(rest), W.PERSON_FILLER.replace("|", " ")):
            kept.append(rest.strip())
    matter = ", ".join(kept)
    if len(content_words(without_contact(matter), W.PERSON_FILLER.replace("|", " "))) < min_words:
        return None
    return matter


# ---------------------------------------------------------------------------- reports

REPORT_ACT_WEIGHT = 0.6  # a request to act on something (phản ánh, đề nghị ... xử lý, tố giác)
REPORT_SHAPE_WEIGHT = 0.15  # each incident word (bị, hỏng, trái phép, đêm nào cũng ...), at most 3
REPORT_SHAPE_MAX = 3
REPORT_LONG_WORDS = 20  # a long description ...
REPORT_LONG_WEIGHT = 0.25
REPORT_MEDIUM_WORDS = 12  # ... or a medium one
REPORT_MEDIUM_WEIGHT = 0.15
REPORT_STATEMENT_WEIGHT = 0.1  # a statement, not a question
REPORT_QUESTION_PENALTY = 0.2  # a question is less likely a report


def _asks_to_act(toks: tuple[Tok, ...]) -> bool:
    """ "đề nghị công an xã kiểm tra", "mong các cơ quan xử lý": an asking word, then an action."""
    actions = [start for start, _end in find(toks, W.REPORT_ACTION)]
    return any(0 <= a - end <= W.REPORT_GAP for _start, end in find(toks, W.REPORT_ASK) for a in actions)


def report_score(text: str) -> float:
    """How much ``text`` looks like a report, complaint or denunciation (0..1)."""
    toks = tokens(text)
    score = REPORT_ACT_WEIGHT if find(toks, W.REPORT_ACT) or _asks_to_act(toks) else 0.0
    shape = {tuple(t.fold for t in toks[s:e]) for s, e in find(toks, W.REPORT_SHAPE)}
    score += REPORT_SHAPE_WEIGHT * min(len(shape), REPORT_SHAPE_MAX)
    n = len(toks)
    score += (
        REPORT_LONG_WEIGHT
        if n >= REPORT_LONG_WORDS
        else REPORT_MEDIUM_WEIGHT
        if n >= REPORT_MEDIUM_WORDS
        else 0
    )
    question = is_question(text)
    score += -REPORT_QUESTION_PENALTY if question else REPORT_STATEMENT_WEIGHT
    return max(0.0, min(1.0, score))


REPORT_MIN = 0.5  # report_score from which a message reads as a report


def report_like(text: str) -> bool:
    return report_score(text) >= REPORT_MIN


_REPORT_WORDS = "phản ánh kiến nghị tố giác tố cáo khiếu nại báo muốn gửi nội dung vấn đề"


def report_matter(text: str) -> str | None:
    """``text`` when it says what is reported, None for "tôi muốn phản ánh" alone."""
    if len(content_words(without_contact(text), _REPORT_WORDS)) < MATTER_MIN_WORDS:
        return None
    return text.strip()


def off_topic(text: str) -> bool:
    """Advertising, games, fortune telling, chit-chat: what no public-service hotline handles."""
    return has(text, W.OFF_TOPIC)


# ---------------------------------------------------------------------------- short acts

SHORT_ACT_MAX_WORDS = 10  # a greeting, thanks or goodbye is a short message
ANSWER_MAX_WORDS = 5  # a yes/no answer or a choice is shorter still
SKIP_MAX_WORDS = 10  # "tôi không muốn cung cấp số điện thoại ạ"
_FIELD_WORDS = frozenset(W.FIELD_WORDS.split())
_FIELD_WORDS_FOLDED = frozenset(fold(w) for w in _FIELD_WORDS)


def _only(text: str, spec: str, max_words: int) -> bool:
    """``text`` is short and, besides particles, holds a cue of ``spec`` and little else."""
    toks = tokens(text)
    if not toks or len(toks) > max_words:
        return False
    spans = find(toks, spec)
    if not spans:
        return False
    rest = [t for i, t in enumerate(toks) if not any(s <= i < e for s, e in spans) and not particle(t)]
    return len(rest) <= max(1, len(toks) // 3)


def wants_skip(text: str) -> bool:
    """The citizen declines the field asked: "bỏ qua", "không có", "không muốn cung cấp", "-"
    (and says little else: "nhà không có số, ở thôn 3" is an address)."""
    stripped = text.strip()
    if stripped in {"-", "--", "x", "."}:
        return True
    toks = tokens(text)
    spans = find(toks, W.SKIP)
    if not spans or len(toks) > SKIP_MAX_WORDS:
        return False
    rest = [
        t
        for i, t in enumerate(toks)
        if not any(s <= i < e for s, e in spans) and not _filler(t, _FIELD_WORDS, _FIELD_WORDS_FOLDED)
    ]
    return len(rest) <= 1


def wants_cancel(text: str) -> bool:
    """The citizen withdraws the request: "hủy", "thôi không cần nữa", "dừng lại"."""
    return len(tokens(text)) <= SKIP_MAX_WORDS and has(text, W.CANCEL)


def is_affirm(text: str) -> bool:
    return not is_question(text) and _only(text, W.AFFIRM, ANSWER_MAX_WORDS) and not is_deny(text)


def is_deny(text: str) -> bool:
    return not is_question(text) and _only(text, W.DENY, ANSWER_MAX_WORDS)


def is_greet(text: str) -> bool:
    return _only(text, W.GREET, SHORT_ACT_MAX_WORDS) and not is_goodbye(text)


def is_thank(text: str) -> bool:
    return not is_question(text) and len(tokens(text)) <= SHORT_ACT_MAX_WORDS and has(text, W.THANK)


def is_goodbye(text: str) -> bool:
    return not is_question(text) and len(tokens(text)) <= SHORT_ACT_MAX_WORDS and has(text, W.GOODBYE)


_CHOICE_WORDS = frozenset(
    "so cau thu chon xem cai muc y lay cho toi em minh a nhe nha di ad dap an phuong an "
    "nhat mot hai ba dau tien cuoi cung".split()
)


def choice(text: str, count: int) -> int | None:
    """1-based suggestion the citizen picked ("2", "số 2", "câu thứ hai"), only when the message
    is just that choice."""
    toks = tokens(text)
    if not toks or len(toks) > ANSWER_MAX_WORDS + 1:
        return None
    if any(not (t.fold in _CHOICE_WORDS or (t.fold.isdigit() and len(t.fold) == 1)) for t in toks):
        return None
    return parse_choice(text, count)


# ---------------------------------------------------------------------------- acts

ACT_CONFIDENCE = 0.9  # confidence given to a cue-read short act or request for a person


def name_in(text: str) -> str | None:
    """A name the citizen gives in passing ("tên tôi là Lê Thị Hoa"), to confirm before use."""
    m = _NAME_GIVEN.search(text)
    return clean_name(m.group(1)) if m else None


def entities_in(text: str) -> tuple[Entity, ...]:
    text = prefix(text)
    found: list[Entity] = []
    name = name_in(text)
    if name:
        found.append(Entity("person_name", name))
    phone = normalize_phone(text)
    if phone:
        found.append(Entity("phone", phone))
    email = find_email(text) if "@" in text else None
    if email:
        found.append(Entity("email", email))
    return tuple(found)


def read_acts(text: str) -> Parse:
    """The hub's own reading of a message's dialogue act (used without Rasa)."""
    intent: str | None = None
    confidence = ACT_CONFIDENCE
    if asks_for_person(text):
        intent = "request_human"
    elif is_thank(text):
        intent = "thank"
    elif is_goodbye(text):
        intent = "goodbye"
    elif is_greet(text):
        intent = "greet"
    elif is_deny(text):
        intent = "deny"
    elif is_affirm(text):
        intent = "affirm"
    elif is_question(text):
        intent = "ask_question"
    elif report_like(text):
        intent, confidence = "report_incident", report_score(text)
    return Parse(
        intent=intent,
        confidence=confidence if intent else 0.0,
        entities=entities_in(text),
        ranking=((intent, confidence),) if intent else (),
        source="cues",
    )
