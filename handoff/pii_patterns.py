"""The patterns of personal data in Vietnamese text, for :mod:`handoff.masking`: phone
numbers, ID numbers, e-mails, plates, house addresses and names, each found as spans
``(start, end, kind)`` of the text (overlapping; the masker picks among them). Pure
functions on strings."""

from __future__ import annotations

import re
import unicodedata

NAME, PHONE, ID, EMAIL, PLATE, ADDRESS = "name", "phone", "id", "email", "plate", "address"
PLACEHOLDER = {
    NAME: "[họ tên]",
    PHONE: "[số điện thoại]",
    ID: "[số giấy tờ]",
    EMAIL: "[thư điện tử]",
    PLATE: "[biển số xe]",
    ADDRESS: "[địa chỉ]",
}
# what :func:`leaks` names, in its Vietnamese error
KIND_LABEL = {
    NAME: "họ tên",
    PHONE: "số điện thoại",
    ID: "số CCCD/CMND",
    EMAIL: "địa chỉ thư điện tử",
    PLATE: "biển số xe",
    ADDRESS: "địa chỉ",
}

# ---------------------------------------------------------------------------- folding


def _fold_char(ch: str) -> str:
    low = ch.lower()
    if low == "đ":
        return "d"
    base = unicodedata.normalize("NFD", low)
    kept = "".join(c for c in base if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFC", kept)
    return folded if len(folded) == 1 else ch


def fold(text: str) -> str:
    """Folded character by character: the same length as ``text`` (NFC), so a match in
    the folded text is a match at the same place in the original."""
    return "".join(_fold_char(c) for c in text)


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def national(phone_digits: str) -> str:
    """A phone's digits without the country code: ``84912345678`` -> ``0912345678``."""
    if phone_digits.startswith("0084"):
        phone_digits = phone_digits[4:]
    elif phone_digits.startswith("84") and len(phone_digits) == 11:
        phone_digits = phone_digits[2:]
    if not phone_digits.startswith("0") and len(phone_digits) == 9:
        phone_digits = "0" + phone_digits
    return phone_digits


# ---------------------------------------------------------------------------- patterns

_SEP = r"[ .\-]?"
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\(\s*\+?\s*84\s*\)|\+\s?84|0084|84(?=[35789]\d{8}(?!\d)))\s?[ .\-]?0?|\(?0)"
    rf"(?:[35789](?:{_SEP}\d){{8}}|\(?2\d\d\)?(?:{_SEP}\d){{7}}|2(?:{_SEP}\d){{9}})"
    r"(?!\d)"
)
_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# plates: 36A-123.45, 36A 12345, 36B1-234.56, 29LD-123.45, 36A-1234 (letters upper case;
# lower case only in the unambiguous dotted form)
PLATE_RE = re.compile(
    r"(?<![\w.\-])(?:\d{2}[A-Z]{1,2}\d?[ \-.]?(?:\d{3}\.?\d{2}|\d{4})"
    r"|\d{2}[a-z]{1,2}\d?[ \-]?\d{3}\.\d{2})(?![\w])"
)
_ID_KEYWORD = (
    r"(?:cccd|cmnd|cmt|căn\s+cước(?:\s+công\s+dân)?|chứng\s+minh(?:\s+(?:nhân\s+dân|thư))?"
    r"|định\s+danh(?:\s+cá\s+nhân)?|giấy\s+tờ\s+tùy\s+thân|hộ\s+chiếu)"
)
_ID_AFTER_KEYWORD = re.compile(
    rf"{_ID_KEYWORD}(?:\s+(?:số|của\s+\w+))?\s*(?:là|:|số)?\s*(\d[\d .\-]{{7,16}}\d|[A-Z]\d{{7,8}})(?!\d)",
    re.IGNORECASE,
)
_ID_PLAIN = re.compile(
    r"(?<![\w.,\-/])(?:\d{12}|\d{9}|\d{3}(?: \d{3}){3}|\d{4}(?: \d{4}){2})(?![\w\-/]|[.,]\d)"
)
_MONEY_AFTER = re.compile(r"\s*(?:đồng|đ\b|vnđ|vnd|triệu|tỷ|nghìn|ngàn)", re.IGNORECASE)

# addresses: house-level components (masked) and what only continues them (a street name)
_IDENT = r"(?:[A-Za-z]?\d+[A-Za-z]?(?:[/\-]\d+[A-Za-z]?)*)(?![\w/])"
_CAP = r"(?:[^\W\d_][^\W\d_]*)"
_UNIT_NUM = re.compile(
    r"(?<!\w)(?:số\s+nhà|nhà\s+số|ngõ|ngách|hẻm|kiệt|thôn|xóm|ấp|bản|tổ\s+dân\s+phố|tổ"
    r"|khu\s+phố|khu\s+dân\s+cư|khu|đội|lô|căn\s+hộ|km)\s+(?:số\s+)?" + _IDENT,
    re.IGNORECASE,
)
_UNIT_NAMED = re.compile(r"(?<!\w)(?:thôn|xóm|ấp|bản|làng|tổ\s+dân\s+phố|khu\s+phố)\s+(?=\w)", re.IGNORECASE)
_STREET = re.compile(r"(?<!\w)(?:đường|phố)\s+(?:số\s+)?(?=\w)", re.IGNORECASE)
_NUMBER = re.compile(r"(?<!\w)số\s+" + _IDENT, re.IGNORECASE)
_ADDRESS_CONTEXT = re.compile(r"(?:nhà|ở|tại|địa\s+chỉ|đ/c|trú|cư\s+trú)\s*:?\s*$", re.IGNORECASE)
_GLUE = re.compile(r"[ \t]*,?[ \t]*")
_BLANK = re.compile(r"[ \t]*")
_IDENT_RE = re.compile(_IDENT)

# names
_WORD = re.compile(r"[^\W\d_]+")
HONORIFICS = frozenset(
    "anh chị chi ông bà em cô chú bác cháu cụ dì cậu mợ thím thầy vợ chồng mẹ bố cha con bé".split()
)
_ROLE_WORDS = frozenset("giáo trai gái ruột dâu rể họ nội ngoại".split())
_FILLERS = frozenset("tôi em mình tên là của nhà".split())
_INTRO = (("tôi", "là"), ("tôi", "tên"), ("tên", "là"), ("tên", "tôi"), ("họ", "tên"), ("em", "là"))
_INTRO_MORE = frozenset({"là", "tên"})
# capitalised words that begin no person's name after a form of address
NOT_NAMES = frozenset(
    "sở ủy ubnd bộ phòng tổng trường bệnh công cục ban chi nhà đảng hội viện tòa quốc "
    "chủ giám trưởng phó cán người".split()
)
# "em ở Thanh Hóa" is no name: the first word of a place that often follows "em/anh"
PLACES = frozenset(
    fold(p)
    for p in (
        "Thanh Hóa",
        "Thanh Hoá",
        "Hà Nội",
        "Hồ Chí Minh",
        "Sầm Sơn",
        "Bỉm Sơn",
        "Nghi Sơn",
        "Việt Nam",
        "Hà Trung",
        "Trung Ương",
        "Hồ Chí Minh",
    )
)
# a capitalised word after these names a street, a school or a place, not a person
PLACE_WORDS = frozenset(
    "đường phố phường xã quận huyện thị trấn tỉnh thành ngõ hẻm trường thpt thcs "
    "chợ cầu đền chùa làng thôn xóm bản khu viện hai tổ ấp tp quảng".split()
)
SURNAMES = frozenset(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Mai Trịnh "
    "Đào Cao Lương Lưu Tạ Hà Chu Tô Vương Thái Lâm Phùng Quách Lò Hoàng Triệu".split()
)


# ---------------------------------------------------------------------------- detectors

Span = tuple[int, int, str]


def _phone_spans(text: str) -> list[Span]:
    return [(m.start(), m.end(), PHONE) for m in _PHONE.finditer(text)]


def id_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _ID_AFTER_KEYWORD.finditer(text):
        value = m.group(1)
        if (value[0].isalpha() or len(digits(value)) in (9, 12)) and not _national_phone(value):
            spans.append((m.start(1), m.end(1), ID))
    for m in _ID_PLAIN.finditer(text):
        if not _MONEY_AFTER.match(text, m.end()):
            spans.append((m.start(), m.end(), ID))
    return spans


def _national_phone(value: str) -> bool:
    return _PHONE.fullmatch(value.strip()) is not None


def regex_spans(pattern: re.Pattern[str], kind: str, text: str) -> list[Span]:
    return [(m.start(), m.end(), kind) for m in pattern.finditer(text)]


def _cap_words_end(text: str, pos: int, *, max_words: int = 4, numbers: bool = False) -> int:
    """The end of the capitalised words (a proper name) starting at ``pos``, or ``pos``."""
    end = pos
    count = 0
    while count < max_words:
        at = _BLANK.match(text, end).end() if count else pos  # type: ignore[union-attr]
        w = _WORD.match(text, at)
        if w and name_like(w.group()):
            end, count = w.end(), count + 1
            continue
        if numbers and (n := _IDENT_RE.match(text, at)):
            end, count = n.end(), count + 1
            continue
        break
    return end


def name_like(word: str) -> bool:
    """Capitalised (Lê, A, Đức), not an acronym (UBND, CCCD)."""
    return word[0].isupper() and (len(word) == 1 or word[1:].islower())


def address_spans(text: str) -> list[Span]:
    """House-level components chained with what continues them ("số 12 ngõ 5 đường Lê
    Lợi"): a chain is an address when it holds a numbered unit, a named village, or a
    house number followed by a street (or said to be where someone lives)."""
    parts: list[tuple[int, int, str]] = []  # (start, end, role): unit | named | street | number
    for m in _UNIT_NUM.finditer(text):
        parts.append((m.start(), m.end(), "unit"))
    for m in _UNIT_NAMED.finditer(text):
        end = _cap_words_end(text, m.end())
        if end > m.end():
            parts.append((m.start(), end, "named"))
    for m in _STREET.finditer(text):
        end = _cap_words_end(text, m.end(), numbers=True)
        if end > m.end():
            parts.append((m.start(), end, "street"))
    for m in _NUMBER.finditer(text):
        end = m.end()
        name_end = _cap_words_end(text, _GLUE.match(text, end).end())  # type: ignore[union-attr]
        words = _WORD.findall(text[end:name_end])
        if len(words) >= 2:
            end = name_end
        parts.append((m.start(), end, "number+" if end > m.end() else "number"))
    parts.sort(key=lambda p: (p[0], -p[1]))
    spans: list[Span] = []
    chain: list[tuple[int, int, str]] = []

    def flush() -> None:
        if not chain:
            return
        roles = {r for _, _, r in chain}
        start = chain[0][0]
        housed = "number" in roles and (
            len(chain) > 1 or _ADDRESS_CONTEXT.search(text[max(0, start - 20) : start])
        )
        if roles & {"unit", "named", "number+"} or housed:
            spans.append((start, max(e for _, e, _ in chain), ADDRESS))
        chain.clear()

    for start, end, role in parts:
        if chain:
            last_end = max(e for _, e, _ in chain)
            if start < last_end:  # inside what the chain holds already
                if end > last_end:
                    chain.append((start, end, role))
                continue
            glue = _GLUE.match(text, last_end)
            if glue is None or glue.end() != start:
                flush()
        chain.append((start, end, role))
    flush()
    return spans


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _adjacent(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    between = text[a.end() : b.start()]
    return bool(between) and between.strip(" \t") == ""


def _take_name(text: str, words: list[re.Match[str]], i: int) -> int:
    """How many name-like words follow from ``words[i]`` (adjacent, at most 4)."""
    n = 0
    while i + n < len(words) and n < 4 and name_like(words[i + n].group()):
        if n and not _adjacent(text, words[i + n - 1], words[i + n]):
            break
        n += 1
    return n


def name_spans(text: str) -> list[Span]:
    words = _words(text)
    spans: list[Span] = []
    for i, w in enumerate(words):
        low = w.group().lower()
        prev = words[i - 1].group().lower() if i else ""
        start_at: int | None = None
        if low in HONORIFICS and prev not in PLACE_WORDS:
            j = i + 1
            if j < len(words) and words[j].group().lower() in _ROLE_WORDS and words[j].group().islower():
                j += 1
            skipped = 0
            while j < len(words) and words[j].group() in _FILLERS and skipped < 2:
                j, skipped = j + 1, skipped + 1
            # "anh/chị Nguyễn Văn A": the slash form of address
            if (
                j < len(words)
                and words[j].group().lower() in HONORIFICS
                and text[words[j - 1].end() : words[j].start()].strip() == "/"
            ):
                j += 1
            start_at = j
        elif (prev, low) in _INTRO or (
            i >= 2 and (words[i - 2].group().lower(), prev, low) == ("họ", "và", "tên")
        ):
            j = i + 1
            while j < len(words) and words[j].group().lower() in _INTRO_MORE:
                j += 1
            start_at = j
        if start_at is not None and start_at < len(words):
            n = _take_name(text, words, start_at)
            first = words[start_at].group() if n else ""
            name = text[words[start_at].start() : words[start_at + n - 1].end()] if n else ""
            if n and first.lower() not in NOT_NAMES and not any(fold(name).startswith(p) for p in PLACES):
                spans.append((words[start_at].start(), words[start_at + n - 1].end(), NAME))
                continue
        after_number = re.search(r"\d[\w/]*[ \t,]*$", text[max(0, w.start() - 12) : w.start()])
        if w.group() in SURNAMES and prev not in PLACE_WORDS and not after_number:
            n = _take_name(text, words, i)
            if n >= 3 and fold(text[w.start() : words[i + n - 1].end()]) not in PLACES:
                spans.append((w.start(), words[i + n - 1].end(), NAME))
    return spans


def pattern_spans(text: str) -> list[Span]:
    """Every span the patterns find, overlapping; :func:`_resolve` picks among them."""
    return [
        *regex_spans(_EMAIL, EMAIL, text),
        *regex_spans(PLATE_RE, PLATE, text),
        *id_spans(text),
        *_phone_spans(text),
        *address_spans(text),
        *name_spans(text),
    ]
