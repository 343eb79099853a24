"""Web chat: the hotline portal's own chat. Citizens post through the channel's HTTP API
(:mod:`connectors.webchat.api`, mounted by ``bot/webchat.py`` over the hub's database) and
read replies from the hub's database over HTTP and a WebSocket, so ``send`` has nothing to
transmit: a stored reply, buttons included (its ``meta["buttons"]``), is already delivered
to the page, which posts a tapped button's payload as the citizen's text."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from typing import Any

from connectors.base import (
    Capabilities,
    Connector,
    DeliveryStatus,
    EventKind,
    InboundMessage,
    OutboundMessage,
    PayloadError,
    SendResult,
)
from connectors.registry import ConnectorContext
from connectors.webchat.settings import load

MAX_TEXT = 4000  # characters of ``text`` as sent (bot/static/openapi.json: maxLength)
# a message needs one character that is neither a control nor white space (the contract's
# ``pattern``, spelled out so Python and JSON Schema (ECMA-262) regexes agree on every one)
VISIBLE = re.compile(
    r"[^\u0000-\u0020\u007f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class WebchatConnector(Connector):
    name = "webchat"
    # the page draws buttons, reads replies from the hub's database and posts to the hub's API
    capabilities = Capabilities(max_quick_replies=10, delivered_when_stored=True, own_api=True)

    def parse(self, raw: bytes) -> list[InboundMessage]:
        """``{"session": <visitor id>, "client_id": <uuid>, "text": "..."}`` → one message.
        The API (:mod:`connectors.webchat.api`) hands over storable strings."""
        try:
            body: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            raise PayloadError("Nội dung gửi lên không phải JSON hợp lệ") from err
        if not isinstance(body, dict):
            raise PayloadError("Nội dung gửi lên phải là một đối tượng JSON")
        session, client_id, text = body.get("session"), body.get("client_id"), body.get("text")
        if not isinstance(session, str) or not session:
            raise PayloadError("Thiếu phiên trò chuyện")
        if not isinstance(client_id, str) or not _UUID.fullmatch(client_id):
            raise PayloadError("client_id phải là một UUID (dạng 8-4-4-4-12)")
        client_uuid = uuid.UUID(client_id)
        if not isinstance(text, str):
            raise PayloadError("Trường text phải là chuỗi")
        if len(text) > MAX_TEXT:  # counted as sent, before trimming: the contract's maxLength
            raise PayloadError(f"Tin nhắn dài quá {MAX_TEXT} ký tự")
        if not VISIBLE.search(text):
            raise PayloadError("Tin nhắn trống")
        text = unicodedata.normalize("NFC", text).strip()
        return [
            InboundMessage(
                channel=self.name,
                kind=EventKind.MESSAGE,
                external_user_id=session,
                channel_message_id=f"{session}:{client_uuid}",
                text=text,
                raw_type="webchat_message",
            )
        ]

    async def send(self, message: OutboundMessage) -> SendResult:
        return SendResult((f"webchat:{message.message_id}",), DeliveryStatus.DELIVERED)


def create(ctx: ConnectorContext) -> WebchatConnector:
    load(ctx.settings)  # nothing to read (the section only switches the channel on)
    return WebchatConnector()
