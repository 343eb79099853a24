"""Districts from a contact's free-text address, against the province's list file
(``HUB_CAMPAIGN_DISTRICTS_FILE``; Thanh Hóa's by default: ``campaigns/data``).

The file: one district a line, ``Canonical name | another spelling | ...``; ``#`` starts a
comment. Matching ignores case, diacritics (both "Hóa" and "Hoá") and the usual
abbreviations ("TP.", "TX.", "H."), and needs whole words. A bare name that is also the
province's name (e.g. "Thanh Hóa") should not be listed as a spelling of the city: every
address in the province carries it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ABBREVIATIONS = ((r"\btp\.?\s*", "thanh pho "), (r"\btx\.?\s*", "thi xa "), (r"\bh\.\s*", "huyen "))


class DistrictListError(ValueError):
    """The district list file cannot be read."""


@dataclass(frozen=True)
class District:
    name: str
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, folded_address: str) -> bool:
        return any(p.search(folded_address) for p in self.patterns)


def fold(text: str) -> str:
    """Lower case, no diacritics, đ → d, abbreviations expanded, single spaces."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for pattern, replacement in ABBREVIATIONS:
        plain = re.sub(pattern, replacement, plain)
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def parse(text: str) -> list[District]:
    found: list[District] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        names = [n.strip() for n in line.split("|") if n.strip()]
        patterns = tuple(re.compile(rf"\b{re.escape(fold(n))}\b") for n in names)
        found.append(District(names[0], patterns))
    return found


@lru_cache(maxsize=8)
def load(path: Path) -> tuple[District, ...]:
    try:
        return tuple(parse(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise DistrictListError(f"Không đọc được danh sách huyện/quận {path}: {err}") from err


def districts_of(address: str | None, districts: tuple[District, ...]) -> list[str]:
    """The canonical names of the districts the address names."""
    if not address:
        return []
    folded = fold(address)
    return [d.name for d in districts if d.matches(folded)]
