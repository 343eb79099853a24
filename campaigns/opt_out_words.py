"""Is a citizen's message a request to stop (or resume) receiving announcements?

Pure text rules, no database. A message is a request only when it is essentially just
that request: after folding (case, diacritics, ``đ``), the common teencode spellings
(``dk``, ``ko``, ``huỷ``…) and dropping the polite words around it ("cho tôi", "ạ",
"nhé", "ad ơi"…), what is left must be a stop verb and what it stops ("hủy đăng ký",
"dừng nhận tin", "không nhận thông báo nữa"), or a subscribe verb and what it subscribes
to ("đăng ký nhận tin"). A longer message that merely contains these words ("làm sao hủy
đăng ký tạm trú?") is not a request: the dialogue engine answers it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

OPT_OUT: Final = "opt_out"
OPT_IN: Final = "opt_in"

MAX_WORDS = 14  # a request is short; longer text is a message for the dialogue engine

# single tokens rewritten before matching (teencode and short forms, already folded)
_TOKENS: dict[str, str] = {
    "dk": "dang ky",
    "dky": "dang ky",
    "dki": "dang ky",
    "dangky": "dang ky",
    "ki": "ky",
    "ko": "khong",
    "k": "khong",
    "kg": "khong",
    "kh": "khong",
    "hok": "khong",
    "hong": "khong",
    "khg": "khong",
    "tb": "thong bao",
    "thongbao": "thong bao",
    "nt": "nhan tin",
    "nhantin": "nhan tin",
    "nx": "nua",
    "j": "gi",
    "ad": "admin",
}

# polite words, pronouns and particles that may surround a request, in any order
_FILLER = frozenset(
    """
    a ah ak da vang ok oke okay admin oi ban anh chi em minh toi tui tao chung cho xin vui long lam on
    giup giup do dum ho voi nhe nha nhen nhe nhi di luon nay ngay bay gio roi cam on thanks thank
    you muon can hay se duoc la
    """.split()
)

# what a stop or subscribe verb applies to
_OBJECTS = (
    "dang ky nhan tin tuc",
    "dang ky nhan thong bao",
    "dang ky nhan tin",
    "dang ky",
    "nhan tin tuc",
    "nhan tin nhan",
    "nhan thong bao",
    "nhan tin",
    "gui tin nhan",
    "gui thong bao",
    "gui tin",
    "thong bao",
    "tin nhan",
    "tin tuc",
)
# where the announcements come from, and "any more", after the object
_TAIL = frozenset("nua tu cua oa zalo tong dai kenh trang quang cao truyen thong nay".split())

_STOP_VERBS = (
    "huy bo",
    "huy",
    "dung lai",
    "dung",
    "ngung",
    "ngung lai",
    "thoi",
    "tat",
    "bo",
)
_START_VERBS = ("dang ky lai", "dang ky", "bat lai", "bat", "mo lai", "nhan lai")
# what a subscribe verb may apply to (never "đăng ký" alone: "đăng ký" means many things)
_START_OBJECTS = (
    "nhan tin tuc",
    "nhan thong bao",
    "nhan tin",
    "thong bao",
    "tin tuc",
    "tin",
)


def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` as ``d``, words of letters and digits only."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", bare))


def _words(text: str) -> list[str]:
    expanded = " ".join(_TOKENS.get(w, w) for w in fold(text).split())
    return [w for w in expanded.split() if w not in _FILLER]


def _alternation(phrases: tuple[str, ...] | frozenset[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


_TAIL_RE = rf"(?: (?:{_alternation(_TAIL)}))*"
_OPT_OUT_RE = re.compile(
    rf"(?:{_alternation(_STOP_VERBS)})(?: (?:{_alternation(_STOP_VERBS)}))? "
    rf"(?:{_alternation(_OBJECTS)}){_TAIL_RE}"
)
_OPT_IN_RE = re.compile(
    rf"(?:{_alternation(_START_VERBS)}) (?:{_alternation(_START_OBJECTS)}){_TAIL_RE}(?: lai)?"
)
# "tôi không muốn nhận tin nữa", "đừng gửi tin nữa": a negation is a stop only with "nữa"
# ("không nhận tin nhắn" alone is a complaint that a message did not arrive)
_NO_MORE_RE = re.compile(rf"(?:khong|dung|thoi)(?: nhan)? (?:{_alternation(_OBJECTS)}) nua{_TAIL_RE}")


def subscription_request(text: str) -> str | None:
    """:data:`OPT_OUT`, :data:`OPT_IN`, or None when ``text`` is not just such a request."""
    if len(text) > 300:
        return None
    words = _words(text)
    if not words or len(words) > MAX_WORDS:
        return None
    line = " ".join(words)
    if _OPT_IN_RE.fullmatch(line):
        return OPT_IN
    if _OPT_OUT_RE.fullmatch(line) or _NO_MORE_RE.fullmatch(line):
        return OPT_OUT
    return None
