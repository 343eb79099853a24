"""E-mail threading helpers: Message-ID lists, ticket codes in subjects, ``Re:`` prefixes.

How the hub files an inbound e-mail into a conversation (the order matters)::

    1. ``InboundMessage.reply_to_ids`` — the Message-IDs of In-Reply-To first, then those of
       References from the newest to the oldest. The first one that matches a message the
       hub stored (inbound ``channel_message_id`` or the id our SMTP send returned in
       ``SendResult.channel_message_ids``) gives the conversation.
    2. Only when none matches: :func:`ticket_code_from_subject` on ``InboundMessage.subject``;
       a known ticket code gives that ticket's conversation.
    3. Otherwise a new conversation.

Message-IDs are kept in their header form, angle brackets included (``<id@domain>``),
everywhere: ``channel_message_id``, ``reply_to_ids``, ``OutboundMessage.in_reply_to`` and
``references`` (the sender also accepts them without brackets).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# [<hotline prefix>-<year>-<6-digit sequence>], e.g. [1022-2026-000123]
DEFAULT_TICKET_PATTERN = r"(?<![\w-])(?P<code>[0-9A-Za-z]{2,12}-\d{4}-\d{6})(?![\w-])"

_MSGID = re.compile(r"<([^<>\s]+)>")
_BARE_MSGID = re.compile(r"[^<>\s,;]+@[^<>\s,;]+")
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|tr|aw|sv|vs|trả\s*lời|chuyển\s*tiếp)\s*(?:\[\d+\])?\s*[::]\s*)+",
    re.IGNORECASE,
)


def message_ids(value: str | None) -> list[str]:
    """Every Message-ID in a header value (``<a@b> <c@d>``), in order, as ``<id>``.

    Tolerates ids written without brackets and junk between them; ids are never
    lower-cased (the local part is case-sensitive)."""
    if not value:
        return []
    found = [f"<{m}>" for m in _MSGID.findall(value)]
    if not found:
        found = [f"<{m}>" for m in _BARE_MSGID.findall(value)]
    return _dedupe(found)


def bracketed(message_id: str) -> str:
    """``id@domain`` or ``<id@domain>`` → ``<id@domain>``."""
    mid = message_id.strip()
    return mid if mid.startswith("<") and mid.endswith(">") else f"<{mid.strip('<>')}>"


def reply_lookup_ids(in_reply_to: Sequence[str], references: Sequence[str]) -> tuple[str, ...]:
    """The ids to try, in the order the hub must try them: In-Reply-To, then References
    newest first (the last References entry is the direct parent)."""
    return tuple(_dedupe([*in_reply_to, *reversed(references)]))


def ticket_code_from_subject(subject: str | None, pattern: str | None = None) -> str | None:
    """The ticket code in a subject (``Re: [1022-2026-000123] Hỏi về …`` → ``1022-2026-000123``).

    ``pattern`` is a regular expression with a named group ``code`` (or a first group, or
    the whole match); the default accepts any 2–12 character hotline prefix, a 4-digit year
    and a 6-digit sequence, bracketed or not. A bracketed code wins over a bare one."""
    if not subject:
        return None
    regex = re.compile(pattern or DEFAULT_TICKET_PATTERN)
    candidates = [m for m in regex.finditer(subject)]
    if not candidates:
        return None
    bracketed_first = sorted(candidates, key=lambda m: not _is_bracketed(subject, m.span()))
    return _code_of(bracketed_first[0])


def strip_reply_prefixes(subject: str | None) -> str:
    """``Re: RE: Fwd: TR: subject`` → ``subject`` (English, Vietnamese and common
    European prefixes, with optional ``[2]`` counters)."""
    return _PREFIX.sub("", subject or "").strip()


def reply_subject(subject: str | None, *, ticket_code: str | None = None, default: str = "") -> str:
    """Exactly one ``Re:`` in front of the original subject, the ticket code kept or added."""
    core = strip_reply_prefixes(subject) or default
    if ticket_code and ticket_code not in core:
        core = f"[{ticket_code}] {core}".strip()
    return f"Re: {core}" if core else "Re:"


def _is_bracketed(text: str, span: tuple[int, int]) -> bool:
    start, end = span
    return start > 0 and end < len(text) and text[start - 1] == "[" and text[end] == "]"


def _code_of(match: re.Match[str]) -> str:
    if "code" in match.re.groupindex:
        return match.group("code")
    return match.group(1) if match.re.groups else match.group(0)


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
