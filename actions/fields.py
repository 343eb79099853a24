"""Pure helpers for the contact form and suggestions: phone numbers, names, refusals, choices."""

from __future__ import annotations

import re
import unicodedata

DECLINED = "-"  # slot value meaning "the citizen chose not to give this field"

_PHONE_CANDIDATE = re.compile(r"\+?\d[\d\s.\-()]{7,16}\d")
_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME_PREFIX = re.compile(
    r"^\s*(?:(?:dạ|da|vâng|vang|xin chào|chào)[,\s]+)?"
    r"(?:(?:tôi|toi|em|e|mình|minh|cháu|chau|tớ|anh|chị|chi|ông|ong|bà|ba)\s+)?"
    r"(?:(?:tên|ten|họ tên|ho ten|họ và tên|ho va ten)(?:\s+(?:tôi|toi|em|mình|minh|đầy đủ|day du))?"
    r"\s*(?:là|la|:)?|là|la)\s*",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"(?:[\s,.;!]+(?:ạ|nhé|nhe|nha))?[\s,.;!]*$", re.IGNORECASE)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def normalize_phone(raw: str) -> str | None:
    """A Vietnamese phone number as ``0xxxxxxxxx`` (mobile) or ``02xxxxxxxxx`` (landline).

    Accepts ``0912 345 678``, ``0912.345.678``, ``+84 912 345 678``, ``84912345678``;
    returns None when ``raw`` holds no valid number.
    """
    for match in _PHONE_CANDIDATE.finditer(raw):
        digits = _SEPARATORS.sub("", match.group(0))
        if digits.startswith("+84"):
            digits = "0" + digits[3:]
        elif digits.startswith("84") and len(digits) in (11, 12):
            digits = "0" + digits[2:]
        if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
            return digits
    return None


def find_email(raw: str) -> str | None:
    match = _EMAIL.search(raw)
    return match.group(0).lower() if match else None


def clean_name(raw: str) -> str | None:
    """``"dạ tôi tên là nguyễn văn an ạ"`` -> ``"Nguyễn Văn An"``; None if nothing name-like is left."""
    text = unicodedata.normalize("NFC", raw).strip()
    text = _NAME_PREFIX.sub("", text, count=1)
    text = _TRAILING.sub("", text).strip(" ,.;:-")
    if not text or any(ch.isdigit() for ch in text) or "@" in text:
        return None
    words = text.split()
    if not 1 <= len(words) <= 6 or len(text) > 60:
        return None
    return " ".join(w[:1].upper() + w[1:] for w in words)


def clean_address(raw: str) -> str | None:
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw)).strip()
    text = re.sub(
        r"^(?:(?:dạ|da)\s+)?(?:(?:địa chỉ|dia chi)(?:\s+(?:của|cua)\s+\w+)?\s*(?:là|la|:)?|"
        r"(?:tôi|toi|em|nhà|nha)\s+(?:ở|o)|(?:nhà|nha)\s+(?:tôi|toi|em)\s+(?:ở|o))\s*",
        "",
        text,
        count=1,
        flags=re.IGNORECASE,
    )
    text = _TRAILING.sub("", text).strip(" ,.;:-")
    return text if len(text) >= 3 else None


_REFUSAL_WORDS = (
    "khong muon",
    "khong cung cap",
    "khong cho",
    "khong co",
    "bo qua",
    "khong can",
    "khong tien",
    "khong de lai",
    "skip",
)
_REFUSE_ALL_WORDS = ("thong tin", "tat ca", "gi ca", "het")


_REFUSAL_FIRST = frozenset({"khong", "ko", "k", "kg", "kh", "hok", "thoi", "no", "chang", "cha", "skip", "-"})


def is_refusal(text: str, intent: str | None) -> bool:
    """The citizen declines to give the requested field ("không có", "bỏ qua", "thôi").

    Lexical cues decide: a free-text answer ("phường Ba Đình") can be misread as ``deny``
    by the classifier, so the intent alone never declines a field; it only widens the
    cues to any negation word for a short reply.
    """
    folded = " " + re.sub(r"[^\w-]+", " ", fold(text)).strip() + " "
    words = folded.split()
    if not words:
        return False
    if words[0] in _REFUSAL_FIRST or any(f" {w} " in folded for w in _REFUSAL_WORDS):
        return True
    return intent == "deny" and len(words) <= 3 and bool(_REFUSAL_FIRST & set(words))


def refuses_everything(text: str) -> bool:
    """ "Tôi không muốn cung cấp thông tin" declines every remaining field at once."""
    folded = fold(text)
    return is_refusal(text, None) and any(w in folded for w in _REFUSE_ALL_WORDS)


_ORDINALS = {
    "nhat": 1,
    "mot": 1,
    "dau": 1,
    "dau tien": 1,
    "hai": 2,
    "nhi": 2,
    "ba": 3,
    "cuoi": -1,
    "cuoi cung": -1,
}
_CHOICE_DIGIT = re.compile(r"(?<!\d)([1-9])(?!\d)")
_CHOICE_WORD = re.compile(r"\b(dau tien|cuoi cung|nhat|mot|dau|hai|nhi|ba|cuoi)\b")


def parse_choice(text: str, count: int) -> int | None:
    """1-based index of the suggestion the citizen picked ("số 2", "câu thứ hai", "cái cuối")."""
    folded = fold(text)
    match = _CHOICE_DIGIT.search(folded)
    if match:
        index = int(match.group(1))
    else:
        word = _CHOICE_WORD.search(folded)
        if not word:
            return None
        index = _ORDINALS[word.group(1)]
        if index == -1:
            index = count
    return index if 1 <= index <= count else None


_FILLER = frozenset(
    "cho toi em e minh chau anh chi hoi muon xin a ak oi voi ve chut cau mot duoc khong ko k "
    "la gi the nao nhe nha di vay ban tong dai ad admin can biet thong tin".split()
)


def is_vague(text: str) -> bool:
    """True for a message with no topic at all ("em muốn hỏi", "cho hỏi chút")."""
    words = re.findall(r"\w+", fold(text))
    return not [w for w in words if w not in _FILLER]
