"""Is a citizen's message a request about their personal data (Law 91/2025/QH15)?

Pure text rules, no database, like :mod:`campaigns.opt_out_words`. A message is a request
only when it is essentially just that request: after folding (case, diacritics, ``đ``),
the common teencode spellings (``dl``, ``ttcn``, ``ko``…) and dropping the polite words
around it ("cho tôi", "ạ", "yêu cầu", "ad ơi"…), what is left must be a verb of one kind
and what it applies to, the person's data: "dữ liệu (cá nhân)", "thông tin cá nhân",
"thông tin của tôi" — never "thông tin" alone ("xem thông tin thủ tục" is a question). A
longer message that merely contains these words is a message for the dialogue engine.
"""

from __future__ import annotations

import re
from typing import Final

from campaigns.opt_out_words import fold

VIEW: Final = "view"
COPY: Final = "copy"
CORRECT: Final = "correct"
DELETE: Final = "delete"
RESTRICT: Final = "restrict"
OBJECT: Final = "object"
WITHDRAW: Final = "withdraw_consent"

MAX_WORDS = 16

_TOKENS: dict[str, str] = {
    "dl": "du lieu",
    "dlcn": "du lieu ca nhan",
    "ttcn": "thong tin ca nhan",
    "tt": "thong tin",
    "ttin": "thong tin",
    "ko": "khong",
    "k": "khong",
    "kg": "khong",
    "hok": "khong",
    "dc": "duoc",
    "ad": "admin",
    "cn": "ca nhan",
}
_FILLER = frozenset(
    """
    a ah ak da vang ok oke okay admin oi ban anh chi em minh toi tui chung cho xin vui long lam on
    giup do dum ho voi nhe nha nhen nhi di luon ngay bay gio roi cam on thanks thank you muon can
    hay se duoc la yeu cau de nghi dang ky rang
    """.split()
)
_OBJ = r"(?:(?:toan bo|tat ca|het|moi|nhung|cac) )?(?:du lieu(?: ca nhan)?|thong tin ca nhan|thong tin cua)"
_TAIL = (
    r"(?: (?:cua|ma|tong|dai|ben|cac|dang|luu|giu|lai|tren|he|thong|o|day|nay|kenh|1022|ve|hien|co|tai|nua))*"
)
_USE = r"(?:xu ly|su dung|thu thap|luu tru|luu|dung)"

_RULES: tuple[tuple[str, str], ...] = (
    (WITHDRAW, rf"rut(?: lai)?(?: su)? dong y(?: (?:cho )?(?:viec )?{_USE})?(?: {_OBJ})?"),
    (OBJECT, rf"(?:phan doi|khong dong y|khong cho phep)(?: viec)? {_USE} {_OBJ}"),
    (RESTRICT, rf"(?:han che|tam dung|tam ngung|dung|ngung)(?: viec)? {_USE}(?: {_OBJ})?"),
    (COPY, rf"(?:(?:nhan|lay|gui|cung cap|tai|xuat)(?: mot| 1)? )?bansao(?: cua)? {_OBJ}"),
    (COPY, rf"(?:xuat|tai ve|trich xuat|tai xuong) {_OBJ}"),
    (CORRECT, rf"(?:sua|chinh sua|sua lai|sua doi|cap nhat|cap nhat lai|dinh chinh|dieu chinh) {_OBJ}"),
    (DELETE, rf"(?:xoa|xoa bo|xoa het|xoa sach|huy bo|huy|go bo|an danh hoa|an danh) {_OBJ}"),
    (VIEW, rf"(?:xem|xem lai|kiem tra|truy cap|biet)(?: {_USE} )?(?: ve)? ?{_OBJ}"),
)
_COMPILED = tuple((kind, re.compile(rx + _TAIL)) for kind, rx in _RULES)


def _words(text: str) -> list[str]:
    expanded = " ".join(_TOKENS.get(w, w) for w in fold(text).split())
    expanded = re.sub(r"\bban sao\b", "bansao", expanded)  # "bản sao", not "bạn"
    return [w for w in expanded.split() if w not in _FILLER]


def data_request(text: str) -> str | None:
    """The kind of data request ``text`` is just, or None."""
    if len(text) > 300:
        return None
    words = _words(text)
    if not words or len(words) > MAX_WORDS:
        return None
    line = " ".join(words)
    for kind, rx in _COMPILED:
        if rx.fullmatch(line):
            return kind
    return None
