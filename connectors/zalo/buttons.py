"""Suggestions as Zalo OA buttons: a consultation text message with a button template.

The request (``POST /v3.0/oa/message/cs``; sources in docs/zalo.md, "Buttons")::

    {"recipient": {"user_id": "..."},
     "message": {"text": "...",
                 "attachment": {"type": "template",
                                "payload": {"buttons": [
                                    {"title": "1. Đăng ký khai sinh…", "type": "oa.query.show",
                                     "payload": "1"}]}}}}

An ``oa.query.show`` button, tapped, makes Zalo send the OA a message from the person whose
text is the button's payload (shown in their chat): it reaches the hub as an ordinary
``user_send_text`` event, so the bot reads the payload as the citizen's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.base import Capabilities, QuickReply

QUERY_SHOW = "oa.query.show"
# at most 5 buttons; titles up to 100 characters; query payloads up to 1,000 characters
BUTTONS = Capabilities(max_quick_replies=5, quick_reply_title=100, quick_reply_payload=1000)


def text_with_buttons(text: str, buttons: Sequence[QuickReply]) -> dict[str, Any]:
    """The ``message`` object of a text carrying ``buttons`` (already fitted to :data:`BUTTONS`)."""
    if not buttons:
        return {"text": text}
    items = [{"title": b.title, "type": QUERY_SHOW, "payload": b.payload} for b in buttons]
    return {"text": text, "attachment": {"type": "template", "payload": {"buttons": items}}}
