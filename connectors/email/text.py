"""Text out of mail: charsets, RFC 2047 headers and HTML bodies decoded to clean Unicode.

Nothing here raises on what arrives by mail; every string it returns is NFC-normalised and
free of NUL characters and lone surrogates (so the database can store it).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from email.header import decode_header
from html.parser import HTMLParser

from connectors.email.headers import unescape_8bit

# --------------------------------------------------------------------------- text helpers


def clean_text(value: str) -> str:
    """NFC, no NUL, no lone surrogates (unencodable in UTF-8)."""
    value = value.replace("\x00", "")
    value = value.encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFC", value)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset; unknown, bogus or non-text codecs fall back to
    UTF-8 with replacement characters. Never raises."""
    name = (charset or "").strip().strip("\"'").lower()
    if name in {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "8bit", "default"}:
        name = "utf-8"
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):
            raise LookupError(name)
        return data.decode(info.name, errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return data.decode("utf-8", errors="replace")


def decode_header_value(value: str | None) -> str:
    """RFC 2047 encoded-words → text, unfolded; never raises."""
    if not value:
        return ""
    value = re.sub(r"\r?\n[ \t]+", " ", unescape_8bit(str(value)))
    try:
        chunks = decode_header(value)
    except Exception:  # malformed encoded words: keep the raw text
        return clean_text(value).strip()
    out = []
    for chunk, charset in chunks:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return clean_text("".join(out)).strip()


# --------------------------------------------------------------------------- HTML → text


class _HtmlToText(HTMLParser):
    SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe"})
    BLOCK = frozenset(
        {
            "p", "div", "br", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
            "blockquote", "hr", "section", "article", "header", "footer", "pre", "address", "dl", "dt", "dd",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip_depth += 1
        elif self.skip_depth:
            return
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href if re.match(r"(?i)(https?|mailto):", href) else None)
            self.parts.append("\x01")  # marks where the link text starts

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            return
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif self.skip_depth:
            return
        elif tag == "a" and self.links:
            href = self.links.pop()
            text = self._text_since_marker()
            if href and href.removeprefix("mailto:") not in text:
                self.parts.append(f" ({href})")
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def _text_since_marker(self) -> str:
        for i in range(len(self.parts) - 1, -1, -1):
            if self.parts[i] == "\x01":
                self.parts[i] = ""
                return "".join(self.parts[i:])
        return ""

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)

    def text(self) -> str:
        raw = "".join(p for p in self.parts if p != "\x01")
        lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in raw.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Safe plain text from HTML: markup, scripts, styles and comments dropped; links kept
    as ``text (url)``; block elements become line breaks."""
    parser = _HtmlToText()
    try:
        parser.feed(html)
        parser.close()
        return parser.text()
    except Exception:  # html.parser is lenient, but never let markup crash ingestion
        stripped = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html)
        return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]*>", " ", stripped)).strip()
