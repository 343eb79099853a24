"""Suggestions in a mail. E-mail has no buttons: the reply's text numbers its suggestions, and
the citizen answers by writing one of the payloads ("1", "Gặp cán bộ"). When a payload is not
already in the text, one line says what to answer, so no choice offered is lost."""

from __future__ import annotations

import re
from collections.abc import Sequence

from connectors.base import QuickReply

LEAD = "Trả lời thư này bằng: "


def _listed(text: str, payload: str) -> bool:
    """A number is listed when a line starts with it ("2." or "2)"); other text when the mail
    holds it (case-insensitive)."""
    if payload.isdigit():
        return re.search(rf"(?m)^\s*{payload}\s*[.):]", text) is not None
    return payload.casefold() in text.casefold()


def _show(payload: str) -> str:
    return payload if payload.isdigit() else f"“{payload}”"


def choices_line(text: str, quick_replies: Sequence[QuickReply]) -> str | None:
    """``Trả lời thư này bằng: 1, 2, 3 hoặc “Gặp cán bộ”.`` when some payload is not in ``text``;
    None when there are no suggestions or the text lists them all."""
    if all(_listed(text, q.payload) for q in quick_replies):
        return None
    shown = [_show(q.payload) for q in quick_replies]
    listing = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " hoặc " + shown[-1]
    return LEAD + listing + "."
