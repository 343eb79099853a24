"""Messenger's side of quick replies and the Page's Messenger Profile, for the simulator.

* :func:`check_profile` validates ``POST /me/messenger_profile`` like Messenger: ``get_started``
  ``{"payload"}`` of 1 to 1,000 characters, ``greeting`` a list of ``{"locale", "text"}`` with
  a ``default`` locale and texts of at most 160 characters, no unknown field;
* :func:`choose` finds the quick reply a citizen taps in a message the Page sent: by position
  (0-based), title or payload. A tap arrives as a message whose ``text`` is the title shown and
  whose ``quick_reply.payload`` is the payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PROFILE_FIELDS = frozenset(
    {"get_started", "greeting", "persistent_menu", "ice_breakers", "whitelisted_domains"}
)
GREETING_MAX = 160
PAYLOAD_MAX = 1000


def check_profile(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields to store; raises ValueError with Graph's wording for anything Messenger refuses."""
    if not body:
        raise ValueError("(#100) You must specify a field to set")
    unknown = sorted(set(body) - PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"(#100) Param {unknown[0]} is not a valid Messenger profile field")
    if "get_started" in body:
        started = body["get_started"]
        payload = started.get("payload") if isinstance(started, Mapping) else None
        if not isinstance(payload, str) or not payload.strip() or len(payload) > PAYLOAD_MAX:
            raise ValueError("(#100) param get_started[payload] must be a string of 1 to 1000 characters")
    if "greeting" in body:
        _check_greeting(body["greeting"])
    return dict(body)


def _check_greeting(greeting: Any) -> None:
    if not isinstance(greeting, list) or not greeting:
        raise ValueError("(#100) param greeting must be a non-empty array")
    locales = []
    for item in greeting:
        text = item.get("text") if isinstance(item, Mapping) else None
        if not isinstance(text, str) or not text.strip() or len(text) > GREETING_MAX:
            raise ValueError("(#100) param greeting[text] must be a string of 1 to 160 characters")
        locales.append(item.get("locale"))
    if "default" not in locales:
        raise ValueError("(#100) param greeting must contain the default locale")


def choose(quick_replies: Sequence[Mapping[str, Any]], which: int | str) -> Mapping[str, Any]:
    """The quick reply at position ``which``, or whose title or payload is ``which``."""
    if isinstance(which, int):
        return quick_replies[which]
    for reply in quick_replies:
        if which in (reply.get("title"), reply.get("payload")):
            return reply
    raise LookupError(f"no quick reply {which!r} among {[q.get('title') for q in quick_replies]}")
