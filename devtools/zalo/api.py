"""The Zalo OA API the hub's connector calls: messages, uploads, user details and the OAuth
token refresh, with Zalo's checks and error codes."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import web

from devtools.zalo.buttons import buttons_of, check_buttons
from devtools.zalo.state import (
    FILE_EXTENSIONS,
    IMAGE_TYPES,
    MAX_FILE,
    MAX_IMAGE,
    MAX_TEXT,
    OAUTH_INVALID_REFRESH,
    OAUTH_INVALID_SECRET,
    SentMessage,
    Upload,
    new_msg_id,
    numeric_id,
)
from devtools.zalo.webhook import WebhookSide


class OaApi(WebhookSide):
    """The request handlers of the OA API (routed by :class:`~devtools.zalo.ZaloSimulator`)."""

    async def _send(self, request: web.Request) -> web.Response:
        fault = await self._apply_fault("message")
        if fault is not None:
            return fault
        if not self._token_ok(request):
            self.requests.append(("message", "-216"))
            return self._zalo_error(-216)
        try:
            body = await request.json()
            user_id = body["recipient"]["user_id"]
            message = body["message"]
        except (ValueError, KeyError, TypeError):
            return self._zalo_error(-201, "recipient.user_id or message is invalid")
        if not isinstance(user_id, str) or not isinstance(message, dict):
            return self._zalo_error(-201, "recipient.user_id is invalid")
        problem = self._check_message(message)
        if problem is not None:
            return self._zalo_error(*problem)
        user = self.users.get(user_id)
        if user is not None and not user.follower:
            return self._zalo_error(-213)
        message_id = new_msg_id()
        self.sent.append(SentMessage(message_id, user_id, message, request.headers["access_token"]))
        self.requests.append(("message", "ok"))
        if self.webhook_url:
            self._spawn(self._after_send(user_id, message_id, message))
        return web.json_response(
            {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}}
        )

    def _check_message(self, message: Mapping[str, Any]) -> tuple[int, str] | None:
        text = message.get("text")
        attachment = message.get("attachment")
        if text is None and attachment is None:
            return -201, "message.text or message.attachment is required"
        if text is not None and (not isinstance(text, str) or not text.strip()):
            return -201, "message.text is invalid"
        if isinstance(text, str) and len(text) > MAX_TEXT:
            return -210, "text length exceeds 2000 characters"
        if attachment is None:
            return None
        if buttons_of(message) is not None:
            return check_buttons(message)
        try:
            payload = attachment["payload"]
            if attachment["type"] == "file":
                return None if payload["token"] in self.uploads else (-201, "token is invalid")
            element = payload["elements"][0]
            if "attachment_id" in element:
                return (
                    None if element["attachment_id"] in self.uploads else (-201, "attachment_id is invalid")
                )
            return None if str(element.get("url", "")).startswith("http") else (-201, "url is invalid")
        except (KeyError, TypeError, IndexError):
            return -201, "attachment is invalid"

    async def _read_upload(self, request: web.Request) -> tuple[str, str, bytes] | None:
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, aiohttp.BodyPartReader) and part.name == "file":
                content = await part.read(decode=False)
                ctype = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "application/octet-stream")
                return part.filename or "file", ctype, bytes(content)
        return None

    async def _upload(self, request: web.Request, kind: str) -> web.Response:
        fault = await self._apply_fault("upload")
        if fault is not None:
            return fault
        if not self._token_ok(request):
            return self._zalo_error(-216)
        found = await self._read_upload(request)
        if found is None:
            return self._zalo_error(-201, "file is required")
        filename, ctype, content = found
        if kind == "image":
            if ctype.lower() not in IMAGE_TYPES:
                return self._zalo_error(-201, "image type is not supported")
            if len(content) > MAX_IMAGE:
                return self._zalo_error(-210, "image size exceeds 1MB")
        else:
            if filename.rsplit(".", 1)[-1].lower() not in FILE_EXTENSIONS:
                return self._zalo_error(-201, "file type is not supported")
            if len(content) > MAX_FILE:
                return self._zalo_error(-210, "file size exceeds 5MB")
        key = secrets.token_urlsafe(24)
        self.uploads[key] = Upload(key, kind, filename, ctype, content)
        self.requests.append(("upload", "ok"))
        data = {"attachment_id": key} if kind == "image" else {"token": key}
        return web.json_response({"error": 0, "message": "Success", "data": data})

    async def _upload_image(self, request: web.Request) -> web.Response:
        return await self._upload(request, "image")

    async def _upload_file(self, request: web.Request) -> web.Response:
        return await self._upload(request, "file")

    async def _user_detail(self, request: web.Request) -> web.Response:
        fault = await self._apply_fault("user")
        if fault is not None:
            return fault
        if not self._token_ok(request):
            return self._zalo_error(-216)
        try:
            user_id = json.loads(request.query.get("data", ""))["user_id"]
        except (ValueError, KeyError, TypeError):
            return self._zalo_error(-201, "data is invalid")
        user = self.users.get(str(user_id))
        if user is None:
            return self._zalo_error(-201, "user_id is invalid")
        shared = (
            {"name": user.display_name, "phone": user.phone, "address": user.address} if user.phone else None
        )
        data: dict[str, Any] = {
            "user_id": user.user_id,
            "user_id_by_app": numeric_id(19),
            "user_external_id": "",
            "display_name": user.display_name,
            "user_alias": user.display_name,
            "is_sensitive": False,
            "user_last_interaction_date": time.strftime("%d/%m/%Y", time.gmtime(self.clock())),
            "user_is_follower": user.follower,
            "avatar": f"https://s120-ava-talk.zadn.vn/{user.user_id}.jpg",
            "avatars": {"120": f"https://s120-ava-talk.zadn.vn/{user.user_id}.jpg", "240": ""},
            "shared_info": shared,
        }
        return web.json_response({"error": 0, "message": "Success", "data": data})

    async def _oauth(self, request: web.Request) -> web.Response:
        fault = await self._apply_fault("oauth")
        if fault is not None:
            return fault
        self.refresh_calls += 1
        form = await request.post()
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            return web.json_response(
                {
                    "error": OAUTH_INVALID_SECRET,
                    "error_name": "Invalid app",
                    "error_description": "app is invalid",
                }
            )
        token = form.get("refresh_token")
        if form.get("grant_type") != "refresh_token" or token != self.refresh_token:
            return web.json_response(
                {
                    "error": OAUTH_INVALID_REFRESH,
                    "error_name": "Invalid refresh token",
                    "error_description": "refresh_token is invalid or has been used",
                }
            )
        self.spent_refresh_tokens.add(self.refresh_token)
        self.refresh_token = "sim-refresh-" + secrets.token_urlsafe(12)
        new_access = "sim-access-" + secrets.token_urlsafe(12)
        self.access_tokens = {new_access}  # the replaced access token stops working
        return web.json_response(
            {
                "access_token": new_access,
                "refresh_token": self.refresh_token,
                "expires_in": str(self.access_token_ttl),
            }
        )
