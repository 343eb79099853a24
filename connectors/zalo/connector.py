"""The Zalo Official Account connector (OA API v3)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from aiohttp import web

from connectors.base import (
    SEND_PROGRESS_TTL,
    Attachment,
    AuthExpired,
    Capabilities,
    Connector,
    ContactProfile,
    InboundMessage,
    OutboundMessage,
    PermanentSendError,
    QuickReply,
    SendResult,
)
from connectors.registry import ConnectorContext
from connectors.zalo import signature
from connectors.zalo.broadcast import ZaloBroadcastClient, ZaloBroadcaster
from connectors.zalo.buttons import BUTTONS, text_with_buttons
from connectors.zalo.client import ZaloClient
from connectors.zalo.errors import ZaloAPIError, is_token_error, to_send_error
from connectors.zalo.parse import parse_delivery
from connectors.zalo.settings import ZaloSettings
from connectors.zalo.split import MAX_TEXT, split_text
from connectors.zalo.tokens import TokenManager, TokenPair

log = logging.getLogger(__name__)
T = TypeVar("T")

IMAGE_TYPES = {"image/jpeg": "jpg", "image/jpg": "jpg", "image/png": "png"}
FILE_TYPES = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
MAX_IMAGE_BYTES = 1 * 1024 * 1024  # Zalo: images up to 1 MB (jpg, png)
MAX_FILE_BYTES = 5 * 1024 * 1024  # Zalo: files up to 5 MB (pdf, doc, docx)
CHOOSE = "Mời anh/chị chọn:"  # the text under which buttons go when a reply has no text


@dataclass(frozen=True, slots=True)
class _Part:
    """One Zalo message of a (possibly split) outbound message."""

    text: str = ""
    attachment: Attachment | None = None
    upload_as_image: bool = False
    mime_type: str = ""
    buttons: tuple[QuickReply, ...] = ()  # a text part only


_EXTENSIONS = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def mime_of(att: Attachment, data: bytes) -> str:
    """The declared type, else the file name's extension, else the content's magic bytes."""
    if att.mime_type:
        return att.mime_type.lower().split(";")[0].strip()
    ext = (att.name or "").rsplit(".", 1)[-1].lower() if "." in (att.name or "") else ""
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return "application/octet-stream"


def _check_upload(att: Attachment, data: bytes, mime: str) -> bool:
    """``True`` for an image upload, ``False`` for a file upload; refuse what Zalo refuses."""
    name = att.name or "tệp đính kèm"
    if mime in IMAGE_TYPES:
        if len(data) > MAX_IMAGE_BYTES:
            raise PermanentSendError(f"Ảnh {name} lớn hơn 1 MB, Zalo không nhận; hãy gửi ảnh nhỏ hơn.")
        return True
    if mime in FILE_TYPES:
        if len(data) > MAX_FILE_BYTES:
            raise PermanentSendError(f"Tệp {name} lớn hơn 5 MB, Zalo không nhận.")
        return False
    raise PermanentSendError(
        f"Zalo chỉ nhận ảnh JPG/PNG (tối đa 1 MB) và tệp PDF/DOC/DOCX (tối đa 5 MB); không gửi được {name}."
    )


def _attachment_parts(att: Attachment) -> list[_Part]:
    if att.data is not None:
        mime = mime_of(att, att.data)
        return [_Part(attachment=att, upload_as_image=_check_upload(att, att.data, mime), mime_type=mime)]
    if att.kind == "image" and att.url:
        return [_Part(attachment=att)]
    if att.url:  # Zalo cannot send a file by URL: send the link as text
        label = f"{att.name}: " if att.name else ""
        return [_Part(text=chunk) for chunk in split_text(label + att.url, MAX_TEXT)]
    raise PermanentSendError(
        f"Tệp đính kèm {att.name or ''} không có nội dung hay đường dẫn để gửi qua Zalo."
    )


def plan_parts(message: OutboundMessage) -> list[_Part]:
    """Every Zalo message ``message`` becomes, in order; validated before anything is sent."""
    parts = [_Part(text=chunk) for chunk in split_text(message.text, MAX_TEXT)]
    buttons = BUTTONS.fit(message.quick_replies)
    if buttons:  # on the last text part: Zalo shows them under that text
        last = parts.pop() if parts else _Part(text=CHOOSE)
        parts.append(_Part(text=last.text, buttons=buttons))
    for att in message.attachments:
        parts.extend(_attachment_parts(att))
    if not parts:
        raise PermanentSendError("Tin nhắn rỗng: không có nội dung nào để gửi qua Zalo.")
    return parts


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _nonempty(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _profile(data: Mapping[str, Any]) -> ContactProfile | None:
    name = _nonempty(data, "display_name")
    if name is None:
        return None
    shared = _mapping(data, "shared_info")
    address = ", ".join(
        v for v in (_nonempty(shared, k) for k in ("address", "ward", "district", "city")) if v
    )
    extra_keys = ("user_id_by_app", "user_alias", "user_is_follower", "user_last_interaction_date")
    return ContactProfile(
        display_name=name,
        full_name=_nonempty(shared, "name"),
        phone=_nonempty(shared, "phone"),
        address=address or None,
        avatar_url=_nonempty(data, "avatar") or _nonempty(_mapping(data, "avatars"), "240"),
        extra={k: data[k] for k in extra_keys if k in data},
    )


class ZaloConnector(Connector):
    name: ClassVar[str] = "zalo"
    capabilities: ClassVar[Capabilities] = BUTTONS

    def __init__(self, ctx: ConnectorContext, settings: ZaloSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.client = ZaloClient(
            ctx.session, api_base=settings.api_base, oauth_base=settings.oauth_base, timeout=settings.timeout
        )
        self.tokens = TokenManager(
            state=ctx.state,
            client=self.client,
            app_id=settings.app_id,
            app_secret=settings.app_secret,
            seed=TokenPair(settings.access_token, settings.refresh_token),
            clock=ctx.clock,
            key=settings.state_key,
        )

    def broadcaster(self) -> ZaloBroadcaster:
        """Promotion messages, the follower list and article broadcasts (see
        :func:`connectors.broadcast.broadcaster_of`), with this connector's token pair."""
        client = ZaloBroadcastClient(
            self.ctx.session,
            api_base=self.settings.api_base,
            oauth_base=self.settings.oauth_base,
            timeout=self.settings.timeout,
        )
        return ZaloBroadcaster(
            client=client, tokens=self.tokens, clock=self.ctx.clock, utc_offset=self.settings.utc_offset
        )

    # ----------------------------------------------------------------- inbound

    async def verify(self, request: web.Request) -> bytes:
        raw = await request.read()
        self.verify_raw(raw, request.headers.get(signature.HEADER))
        return raw

    def verify_raw(self, raw: bytes, header: str | None) -> None:
        signature.verify(
            raw,
            header,
            app_id=self.settings.app_id,
            oa_secret_key=self.settings.oa_secret_key,
            now=self.ctx.clock(),
            max_age=self.settings.max_event_age,
            max_skew=self.settings.max_clock_skew,
        )

    def parse(self, raw: bytes) -> list[InboundMessage]:
        return parse_delivery(raw)

    # ----------------------------------------------------------------- outbound

    async def _with_token(self, call: Callable[[str], Awaitable[T]]) -> T:
        """Run ``call(access_token)``; on an expired/invalid token refresh once and retry once."""
        token = await self.tokens.access_token()
        try:
            return await call(token)
        except ZaloAPIError as err:
            if not is_token_error(err.code):
                raise to_send_error(err) from err
            log.info("zalo: access token refused (%s), refreshing", err.code)
        pair = await self.tokens.refresh(token)
        try:
            return await call(pair.access_token)
        except ZaloAPIError as err:
            if is_token_error(err.code):
                raise AuthExpired(
                    "Zalo vẫn từ chối access token vừa làm mới; sẽ thử lại sau", code=err.code
                ) from err
            raise to_send_error(err) from err

    async def _send_part(self, user_id: str, part: _Part) -> str:
        recipient = {"user_id": user_id}
        att = part.attachment
        if att is None:
            message = text_with_buttons(part.text, part.buttons)
            payload: dict[str, Any] = {"recipient": recipient, "message": message}
            return await self._with_token(lambda token: self.client.send_cs(token, payload))

        async def send_attachment(token: str) -> str:
            if att.data is None:
                element = {"media_type": "image", "url": att.url}
                attachment: dict[str, Any] = {
                    "type": "template",
                    "payload": {"template_type": "media", "elements": [element]},
                }
            else:
                ext = (IMAGE_TYPES if part.upload_as_image else FILE_TYPES).get(part.mime_type, "bin")
                uploaded = await self.client.upload(
                    token,
                    image=part.upload_as_image,
                    filename=att.name or f"tep.{ext}",
                    content=att.data,
                    mime_type=part.mime_type,
                )
                if part.upload_as_image:
                    element = {"media_type": "image", "attachment_id": uploaded}
                    attachment = {
                        "type": "template",
                        "payload": {"template_type": "media", "elements": [element]},
                    }
                else:
                    attachment = {"type": "file", "payload": {"token": uploaded}}
            return await self.client.send_cs(
                token, {"recipient": recipient, "message": {"attachment": attachment}}
            )

        return await self._with_token(send_attachment)

    async def _progress(self, key: str) -> list[str]:
        stored = await self.ctx.state.get(key)
        if not stored:
            return []
        try:
            ids = json.loads(stored)
        except ValueError:
            ids = None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            log.warning("zalo: unreadable send progress %s ignored", key)
            return []
        return ids

    async def send(self, message: OutboundMessage) -> SendResult:
        """Send every part. For a message of several parts, the ids sent so far are kept under
        ``zalo:sent:<hub message id>``: a retry of the same hub message sends only the parts the
        citizen did not get yet (a single-part message needs no record)."""
        if not message.external_user_id:
            raise PermanentSendError("Thiếu mã người dùng Zalo của công dân.")
        parts = plan_parts(message)
        progress_key = f"zalo:sent:{message.message_id}"
        ids = await self._progress(progress_key) if len(parts) > 1 else []
        for part in parts[len(ids) :]:
            ids.append(await self._send_part(message.external_user_id, part))
            if len(parts) > 1:
                await self.ctx.state.set(progress_key, json.dumps(ids), ttl=SEND_PROGRESS_TTL)
        return SendResult(channel_message_ids=tuple(ids))

    async def fetch_profile(self, external_user_id: str) -> ContactProfile | None:
        """Display name (and shared info, when the citizen shared it) via ``/v3.0/oa/user/detail``.

        ``None`` when Zalo does not know the user; transport trouble raises a
        :class:`connectors.base.TransientSendError` so the hub can try again later."""
        try:
            data = await self._with_token(lambda token: self.client.user_detail(token, external_user_id))
        except PermanentSendError as err:
            log.info("zalo: no profile for %s: %s", external_user_id, err.reason)
            return None
        return _profile(data)
