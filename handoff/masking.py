"""Personal data out of a text before it is published (Điều 12): names, phone numbers,
CCCD/CMND numbers, e-mail addresses, vehicle plates and house addresses are replaced by
readable placeholders ("[họ tên]", "[số điện thoại]", …).

Two kinds of knowledge:

* what the ticket itself knows (:class:`PersonalData`: the citizen's names, phones, e-mail,
  address, and what the detectors find in the request's own text): masked wherever it
  appears, with or without diacritics, and checked again by :func:`leaks` on the text an
  officer edited before publishing;
* patterns (:func:`mask`): Vietnamese phone formats (``0912 345 678``, ``+84 912…``,
  landlines ``0237 3 852 123``), 9 or 12 digit ID numbers, e-mails, plates (``36A-123.45``,
  ``36B1-234.56``), names after a form of address (``anh/chị/ông/bà/em …``) or an
  introduction (``tôi là …``, ``họ tên: …``), three or four capitalised words starting with a
  common family name, and house-level addresses (``số 12 ngõ 5 đường Lê Lợi``, ``thôn 3``).
  Ward, commune, district and province names stay: they say where a problem is without
  saying who asked.

Pure functions on strings: no database, no clock. The officer reviews the result; the
patterns catch the usual ways of writing, not every one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from handoff.pii_patterns import (
    ADDRESS,
    EMAIL,
    ID,
    KIND_LABEL,
    NAME,
    PHONE,
    PLACEHOLDER,
    PLATE,
    PLATE_RE,
    Span,
    address_spans,
    digits,
    fold,
    id_spans,
    name_like,
    name_spans,
    national,
    pattern_spans,
    regex_spans,
)

__all__ = ["KIND_LABEL", "PLACEHOLDER", "PersonalData", "leaks", "mask", "mask_answer"]


@dataclass(frozen=True)
class PersonalData:
    """What a ticket knows about its citizen, masked wherever it appears and never allowed
    back into a published text (:func:`leaks`)."""

    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        names: Iterable[str | None] = (),
        phones: Iterable[str | None] = (),
        emails: Iterable[str | None] = (),
        addresses: Iterable[str | None] = (),
        texts: Iterable[str | None] = (),
    ) -> PersonalData:
        """The given fields, plus the names, phones, ID numbers and e-mails the patterns
        find in ``texts`` (the request's own words)."""
        found: dict[str, list[str]] = {NAME: [], PHONE: [], ID: [], EMAIL: []}
        for text in texts:
            for start, end, kind in pattern_spans(_nfc(text or "")):
                if kind in found:
                    found[kind].append(_nfc(text or "")[start:end])
        return cls(
            names=_clean([*names, *found[NAME]]),
            phones=_clean([*phones, *found[PHONE]]),
            ids=_clean(found[ID]),
            emails=_clean([*emails, *found[EMAIL]]),
            addresses=_clean(_house_parts(a) for a in addresses),
        )


def _house_parts(address: str | None) -> str:
    """The house-level part of an address ("số 12 ngõ 5 đường Lê Lợi" of "Số 12 ngõ 5
    đường Lê Lợi, phường Điện Biên, TP Thanh Hóa"), or nothing: a ward, district or
    province alone is no personal datum."""
    text = _nfc(address or "")
    spans = address_spans(text)
    return text[spans[0][0] : spans[0][1]] if spans else ""


def _clean(values: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        v = " ".join(_nfc(v or "").split())
        if v and fold(v) not in {fold(k) for k in seen}:
            seen[v] = None
    return tuple(seen)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------- the ticket's own data


def _known_name_spans(text: str, folded: str, names: Iterable[str]) -> list[Span]:
    spans: list[Span] = []
    for name in names:
        parts = name.split()
        candidates: list[tuple[str, bool]] = []  # (text, fold-insensitive)
        if len(parts) >= 2:
            candidates.append((name, True))
        elif len(name) >= 2 and name_like(name):
            candidates.append((name, False))
        if len(parts) >= 3:  # "Văn An" of "Nguyễn Văn An", capitalised as written
            candidates.append((" ".join(parts[-2:]), False))
        for value, loose in candidates:
            pattern = (
                r"(?<!\w)"
                + r"\s+".join(re.escape(fold(p) if loose else p) for p in value.split())
                + r"(?!\w)"
            )
            haystack = folded if loose else text
            spans += [(m.start(), m.end(), NAME) for m in re.finditer(pattern, haystack)]
    return spans


_RUN = re.compile(r"\+?\(?\d[\d .\-()]*\d")


def _digit_run_spans(text: str, values: Iterable[str], kind: str) -> list[Span]:
    """Runs of digits (with spaces, dots, dashes, brackets) holding one of ``values``."""
    wanted = [_key_digits(v, kind) for v in values]
    wanted = [w for w in wanted if len(w) >= 7]
    spans: list[Span] = []
    for m in _RUN.finditer(text):
        found = digits(m.group())
        if any(w in found for w in wanted):
            spans.append((m.start(), m.end(), kind))
    return spans


def _key_digits(value: str, kind: str) -> str:
    """What identifies a phone in any writing: its digits after the leading 0 / 84."""
    value_digits = digits(value)
    if kind == PHONE:
        home = national(value_digits)
        return home[1:] if home.startswith("0") else home
    return value_digits


def _email_spans(text: str, emails: Iterable[str]) -> list[Span]:
    low = text.lower()
    spans: list[Span] = []
    for e in emails:
        e = e.strip().lower()
        if not e:
            continue
        at = low.find(e)
        while at >= 0:
            spans.append((at, at + len(e), EMAIL))
            at = low.find(e, at + 1)
    return spans


def _address_known_spans(folded: str, addresses: Iterable[str]) -> list[Span]:
    spans: list[Span] = []
    for address in addresses:
        if len(address) < 6:
            continue
        pattern = (
            r"(?<!\w)"
            + r"[\s,]+".join(re.escape(fold(p)) for p in re.split(r"[\s,]+", address) if p)
            + r"(?!\w)"
        )
        spans += [(m.start(), m.end(), ADDRESS) for m in re.finditer(pattern, folded)]
    return spans


def _known_spans(text: str, known: PersonalData) -> list[Span]:
    folded = fold(text)
    return [
        *_email_spans(text, known.emails),
        *_digit_run_spans(text, known.phones, PHONE),
        *_digit_run_spans(text, known.ids, ID),
        *_address_known_spans(folded, known.addresses),
        *_known_name_spans(text, folded, known.names),
    ]


# ---------------------------------------------------------------------------- masking


def _resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans: the longest first, then the earliest."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def _replace(text: str, spans: list[Span]) -> str:
    out: list[str] = []
    at = 0
    for start, end, kind in _resolve(spans):
        out.append(text[at:start])
        out.append(PLACEHOLDER[kind])
        at = end
    out.append(text[at:])
    return "".join(out)


def mask(text: str, known: PersonalData | None = None) -> str:
    """``text`` with every personal datum the patterns or ``known`` find replaced by its
    placeholder (for a citizen's question)."""
    text = _nfc(text or "")
    spans = pattern_spans(text) + (_known_spans(text, known) if known else [])
    return _replace(text, spans)


def mask_answer(text: str, known: PersonalData | None = None) -> str:
    """An officer's answer: the citizen's own data and the names after a form of address
    ("Chào anh Nguyễn Văn A") are masked; other phone numbers and addresses stay (an
    answer gives the agency's number and office on purpose)."""
    text = _nfc(text or "")
    spans = regex_spans(PLATE_RE, PLATE, text) + name_spans(text)
    spans += id_spans(text)
    if known:
        spans += _known_spans(text, known)
    return _replace(text, spans)


def leaks(text: str, known: PersonalData) -> list[str]:
    """The kinds (Vietnamese, see :data:`KIND_LABEL`) of the ticket's own personal data
    still in ``text``; empty when none is."""
    text = _nfc(text or "")
    kinds = {kind for _, _, kind in _known_spans(text, known)}
    return [KIND_LABEL[k] for k in (NAME, PHONE, ID, EMAIL, ADDRESS) if k in kinds]
