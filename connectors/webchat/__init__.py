"""Web chat: the hotline portal's own chat. Citizens post through the hub's HTTP API
(``bot/webchat.py``) and read replies from the hub's database over HTTP and a WebSocket,
so ``send`` has nothing to transmit: a stored reply is already delivered to the page."""

from __future__ import annotations

import json
import unicodedata
import uuid
from typing import Any

from connectors.base import (
    Connector,
    DeliveryStatus,
    EventKind,
    InboundMessage,
    OutboundMessage,
    PayloadError,
    SendResult,
)
from connectors.registry import ConnectorContext

MAX_TEXT = 4000


class WebchatConnector(Connector):
    name = "webchat"

    def parse(self, raw: bytes) -> list[InboundMessage]:
        """``{"session": <visitor id>, "client_id": <uuid>, "text": "..."}`` → one message."""
        try:
            body: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            raise PayloadError("Nội dung gửi lên không phải JSON hợp lệ") from err
        if not isinstance(body, dict):
            raise PayloadError("Nội dung gửi lên phải là một đối tượng JSON")
        session, client_id, text = body.get("session"), body.get("client_id"), body.get("text")
        if not isinstance(session, str) or not session:
            raise PayloadError("Thiếu phiên trò chuyện")
        try:
            client_uuid = uuid.UUID(str(client_id))
        except ValueError as err:
            raise PayloadError("client_id phải là một UUID") from err
        if not isinstance(text, str):
            raise PayloadError("Trường text phải là chuỗi")
        text = unicodedata.normalize("NFC", text).strip()
        if not text:
            raise PayloadError("Tin nhắn trống")
        if len(text) > MAX_TEXT:
            raise PayloadError(f"Tin nhắn dài quá {MAX_TEXT} ký tự")
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
    return WebchatConnector()
