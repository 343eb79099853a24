"""Zalo's side of buttons, for the simulator: a consultation text with a button template.

Shape accepted on ``POST /v3.0/oa/message/cs`` (see docs/zalo.md, "Buttons", for the sources)::

    "message": {"text": "<= 2,000 characters",
                "attachment": {"type": "template",
                               "payload": {"buttons": [{"title", "type", "payload"}, ...]}}}

Limits enforced: 1 to 5 buttons; ``title`` 1 to 100 characters; ``type`` one of the five OA
button types; ``oa.query.show``/``oa.query.hide`` carry a ``payload`` string of 1 to 1,000
characters, ``oa.open.url`` ``{"url"}``, ``oa.open.sms`` ``{"content", "phone_code"}``,
``oa.open.phone`` ``{"phone_code"}``; the text is required. A missing or malformed field is
Zalo's ``-201`` (invalid parameter); a count or length over the limit is ``-210`` (parameter
exceeds allowable limit).

A tap on a query button makes Zalo send the OA a ``user_send_text`` event from the person,
whose ``message.text`` is the button's payload (:func:`choose` finds the button).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

QUERY_TYPES = frozenset({"oa.query.show", "oa.query.hide"})
BUTTON_TYPES = QUERY_TYPES | {"oa.open.url", "oa.open.sms", "oa.open.phone"}
MAX_BUTTONS = 5
MAX_TITLE = 100
MAX_QUERY_PAYLOAD = 1000
INVALID, TOO_LONG = -201, -210
OPEN_FIELDS = {
    "oa.open.url": ("url",),
    "oa.open.sms": ("content", "phone_code"),
    "oa.open.phone": ("phone_code",),
}

Problem = tuple[int, str]


def buttons_of(message: Mapping[str, Any]) -> Any:
    """The ``buttons`` of a button-template message, else None (not a button template)."""
    attachment = message.get("attachment")
    if not isinstance(attachment, Mapping) or attachment.get("type") != "template":
        return None
    payload = attachment.get("payload")
    if not isinstance(payload, Mapping) or "buttons" not in payload or "elements" in payload:
        return None
    return payload["buttons"]


def check_buttons(message: Mapping[str, Any]) -> Problem | None:
    """Zalo's error for a button-template message, or None when Zalo accepts it."""
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        return INVALID, "message.text is required with buttons"
    buttons = buttons_of(message)
    if not isinstance(buttons, list) or not buttons:
        return INVALID, "attachment.payload.buttons must be a non-empty array"
    if len(buttons) > MAX_BUTTONS:
        return TOO_LONG, f"buttons exceed the limit of {MAX_BUTTONS}"
    for index, button in enumerate(buttons):
        problem = _check_button(button, f"buttons[{index}]")
        if problem is not None:
            return problem
    return None


def _check_button(button: Any, where: str) -> Problem | None:
    if not isinstance(button, Mapping) or button.get("type") not in BUTTON_TYPES:
        return INVALID, f"{where}.type is invalid"
    title = button.get("title")
    if not isinstance(title, str) or not title.strip():
        return INVALID, f"{where}.title is required"
    if len(title) > MAX_TITLE:
        return TOO_LONG, f"{where}.title exceeds {MAX_TITLE} characters"
    payload, kind = button.get("payload"), button["type"]
    if kind in QUERY_TYPES:
        if not isinstance(payload, str) or not payload.strip():
            return INVALID, f"{where}.payload is required"
        if len(payload) > MAX_QUERY_PAYLOAD:
            return TOO_LONG, f"{where}.payload exceeds {MAX_QUERY_PAYLOAD} characters"
        return None
    fields = OPEN_FIELDS[kind]
    if not isinstance(payload, Mapping) or not all(isinstance(payload.get(k), str) for k in fields):
        return INVALID, f"{where}.payload is invalid"
    return None


def choose(buttons: Sequence[Mapping[str, Any]], which: int | str) -> Mapping[str, Any]:
    """The query button at position ``which`` (0-based), or whose title or payload is ``which``."""
    if isinstance(which, int):
        button = buttons[which]
    else:
        found = [b for b in buttons if which in (b.get("title"), b.get("payload"))]
        if not found:
            raise LookupError(f"no button {which!r} among {[b.get('title') for b in buttons]}")
        button = found[0]
    if button.get("type") not in QUERY_TYPES:
        raise LookupError(f"button {button.get('title')!r} opens something; it sends no message")
    return button
