"""The Facebook Page (Messenger Platform) connector."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, ClassVar

import aiohttp
from aiohttp import web

from connectors.base import (
    SEND_PROGRESS_TTL,
    Attachment,
    Capabilities,
    Connector,
    ContactProfile,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    PermanentSendError,
    SendError,
    SendResult,
    StateStore,
)
from connectors.facebook import signature
from connectors.facebook.client import GraphClient
from connectors.facebook.parse import OUR_METADATA_PREFIX, ParseOptions, parse_delivery
from connectors.facebook.settings import FacebookSettings
from connectors.facebook.text import split_text
from connectors.facebook.window import WindowDecision, decide

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/facebook"
PROFILE_FIELDS = "first_name,last_name,name,profile_pic"
# Messenger quick replies: at most 13, titles of 20 characters, payloads of 1,000
QUICK_REPLIES = Capabilities(max_quick_replies=13, quick_reply_title=20, quick_reply_payload=1000)
_ATTACHMENT_TYPES = {"image": "image", "gif": "image", "sticker": "image", "video": "video", "audio": "audio"}


class FacebookConnector(Connector):
    name: ClassVar[str] = "facebook"
    capabilities: ClassVar[Capabilities] = QUICK_REPLIES

    def __init__(
        self,
        settings: FacebookSettings,
        *,
        session: aiohttp.ClientSession,
        state: StateStore,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self._state = state
        self._clock = clock
        self._client = GraphClient(
            session,
            graph_base=settings.graph_base,
            access_token=settings.page_access_token,
            app_secret=settings.app_secret,
            timeout=settings.timeout,
        )
        self._parse_options = ParseOptions(app_id=settings.app_id, channel=self.name, isolate_events=True)
        self._send_path = f"{settings.page_id}/messages" if settings.page_id else "me/messages"

    # ------------------------------------------------------------------ inbound

    async def verify(self, request: web.Request) -> bytes:
        body = await request.read()
        signature.check(self.settings.app_secret, body, request.headers.get(signature.SIGNATURE_HEADER))
        return body

    def parse(self, raw: bytes) -> list[InboundMessage]:
        return parse_delivery(raw, self._parse_options)

    def routes(self) -> list[web.RouteDef]:
        return [web.get(WEBHOOK_PATH, self.handle_handshake)]

    async def handle_handshake(self, request: web.Request) -> web.Response:
        status, text = signature.handshake(request.query, self.settings.verify_token)
        if status != 200:
            log.warning("facebook: webhook verification refused (mode=%r)", request.query.get("hub.mode"))
        return web.Response(status=status, text=text, content_type="text/plain")

    # ------------------------------------------------------------------ outbound

    async def send(self, message: OutboundMessage) -> SendResult:
        """Send text (split at 2,000 characters), then attachments, as separate Messenger
        messages. In a multi-part message every part but the last is remembered in the state
        store once accepted, so a retry after a partial failure does not send it again."""
        window = decide(self._clock(), message.last_inbound_at, message.sender_role)
        parts = self._parts(message)
        if not parts:
            raise PermanentSendError(
                "Tin nhắn rỗng: không có nội dung hay tệp đính kèm để gửi.", code="empty"
            )
        mids: list[str] = []
        for index, (body, upload) in enumerate(parts):
            key = f"facebook:sent:{message.message_id}:{index}"
            remember = index < len(parts) - 1  # the last part's success is the send's success
            done = await self._state.get(key) if remember else None
            if done:
                mids.append(done)
                continue
            body["metadata"] = f"{OUR_METADATA_PREFIX}{message.message_id}:{index}"
            mid = await self._send_part(message.external_user_id, window, body, upload)
            if remember:
                await self._state.set(key, mid, ttl=SEND_PROGRESS_TTL)
            mids.append(mid)
        return SendResult(channel_message_ids=tuple(mids), status=DeliveryStatus.SENT)

    async def _send_part(
        self, psid: str, window: WindowDecision, body: dict[str, Any], upload: Attachment | None
    ) -> str:
        if upload is None:
            result = await self._client.post_json(self._send_path, self._request(psid, window, body))
        else:
            result = await self._upload(psid, window, body, upload)
        mid = result.get("message_id")
        if not isinstance(mid, str) or not mid:
            raise PermanentSendError("Facebook không trả về message_id cho tin đã gửi.", code="no_mid")
        return mid

    def _parts(self, message: OutboundMessage) -> list[tuple[dict[str, Any], Attachment | None]]:
        parts: list[tuple[dict[str, Any], Attachment | None]] = [
            ({"text": chunk}, None) for chunk in split_text(message.text)
        ]
        for att in message.attachments:
            parts.append(self._attachment_part(att))
        quick = self.capabilities.fit(message.quick_replies)
        if quick and parts:  # on the last part: Messenger hides them once another message comes
            parts[-1][0]["quick_replies"] = [
                {"content_type": "text", "title": q.title, "payload": q.payload} for q in quick
            ]
        return parts

    @staticmethod
    def _attachment_part(att: Attachment) -> tuple[dict[str, Any], Attachment | None]:
        kind = _ATTACHMENT_TYPES.get(att.kind, "file")
        if att.url:
            payload = {"type": kind, "payload": {"url": att.url, "is_reusable": True}}
            return {"attachment": payload}, None
        if att.data is not None:
            return {"attachment": {"type": kind, "payload": {"is_reusable": True}}}, att
        raise PermanentSendError(
            f"Tệp đính kèm {att.name or att.kind!r} không có URL hay nội dung để gửi qua Facebook.",
            code="attachment",
        )

    @staticmethod
    def _request(psid: str, window: WindowDecision, message: dict[str, Any]) -> dict[str, Any]:
        return {"recipient": {"id": psid}, **window.fields(), "message": message}

    async def _upload(
        self, psid: str, window: WindowDecision, body: dict[str, Any], att: Attachment
    ) -> dict[str, Any]:
        form = aiohttp.FormData()
        form.add_field("recipient", json.dumps({"id": psid}))
        for key, value in window.fields().items():
            form.add_field(key, value)
        form.add_field("message", json.dumps(body, ensure_ascii=False))
        form.add_field(
            "filedata",
            att.data or b"",
            filename=att.name or "tep",
            content_type=att.mime_type or "application/octet-stream",
        )
        return await self._client.post_form(self._send_path, form)

    async def typing(self, external_user_id: str, on: bool = True) -> None:
        """Best effort: a failure is logged, never raised (the answer matters, not the dots)."""
        action = "typing_on" if on else "typing_off"
        payload = {"recipient": {"id": external_user_id}, "sender_action": action}
        try:
            await self._client.post_json(self._send_path, payload)
        except SendError as err:
            log.warning("facebook: %s for %s failed: %s", action, external_user_id, err.reason)

    async def fetch_profile(self, external_user_id: str) -> ContactProfile | None:
        """The person's name and picture. ``None`` when Facebook refuses (no permission,
        unknown PSID); transient trouble raises :class:`TransientSendError`/``RateLimited``
        so the hub can try again later."""
        try:
            data = await self._client.get(external_user_id, {"fields": PROFILE_FIELDS})
        except PermanentSendError as err:
            log.info("facebook: no profile for %s: %s", external_user_id, err.reason)
            return None
        first = data.get("first_name") if isinstance(data.get("first_name"), str) else None
        last = data.get("last_name") if isinstance(data.get("last_name"), str) else None
        name = data.get("name") if isinstance(data.get("name"), str) else None
        full = name or " ".join(p for p in (first, last) if p) or None
        pic = data.get("profile_pic")
        return ContactProfile(
            display_name=full,
            full_name=full,
            avatar_url=pic if isinstance(pic, str) else None,
            extra={k: v for k, v in (("first_name", first), ("last_name", last)) if v},
        )
