"""A thin asynchronous client for the Zalo OA endpoints we use, on the hub's aiohttp session.

Transport trouble (timeouts, connection errors, HTTP 5xx, HTTP 429, bodies that are not
JSON) becomes :class:`TransientSendError` / :class:`RateLimited` here; a JSON answer with
``error != 0`` becomes :class:`ZaloAPIError`, which the connector maps (after a token refresh
where that applies) with :func:`connectors.zalo.errors.to_send_error`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from connectors.base import RateLimited, TransientSendError
from connectors.zalo.errors import DEFAULT_RATE_LIMIT_RETRY_AFTER, ZaloAPIError

SEND_PATH = "/v3.0/oa/message/cs"
UPLOAD_IMAGE_PATH = "/v2.0/oa/upload/image"
UPLOAD_FILE_PATH = "/v2.0/oa/upload/file"
USER_DETAIL_PATH = "/v3.0/oa/user/detail"
OAUTH_TOKEN_PATH = "/v4/oa/access_token"


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    access_token: str
    refresh_token: str
    expires_in: float | None


def _retry_after(header: str | None) -> float:
    try:
        value = float(header) if header else DEFAULT_RATE_LIMIT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RATE_LIMIT_RETRY_AFTER
    return value if value >= 0 else DEFAULT_RATE_LIMIT_RETRY_AFTER


class ZaloClient:
    def __init__(
        self, session: aiohttp.ClientSession, *, api_base: str, oauth_base: str, timeout: float
    ) -> None:
        self._session = session
        self._api_base = api_base.rstrip("/")
        self._oauth_base = oauth_base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    # ----------------------------------------------------------------- transport

    async def _request(self, method: str, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._session.request(method, url, timeout=self._timeout, **kwargs) as resp:
                status, headers = resp.status, resp.headers
                body = await resp.read()
        except TimeoutError as err:
            raise TransientSendError(f"Zalo {what}: hết thời gian chờ phản hồi", code="timeout") from err
        except aiohttp.ClientError as err:
            raise TransientSendError(
                f"Zalo {what}: lỗi kết nối ({type(err).__name__})", code="network"
            ) from err
        if status == 429:
            raise RateLimited(
                f"Zalo {what}: HTTP 429, quá nhiều yêu cầu",
                retry_after=_retry_after(headers.get("Retry-After")),
                code=429,
            )
        if status >= 500:
            raise TransientSendError(f"Zalo {what}: máy chủ Zalo lỗi HTTP {status}", code=status)
        if status != 200:
            raise TransientSendError(f"Zalo {what}: HTTP {status} không mong đợi", code=status)
        try:
            data = json.loads(body, parse_int=str)
        except (ValueError, RecursionError) as err:
            raise TransientSendError(f"Zalo {what}: phản hồi không phải JSON", code="bad-json") from err
        if not isinstance(data, dict):
            raise TransientSendError(f"Zalo {what}: phản hồi không phải đối tượng JSON", code="bad-json")
        return data

    @staticmethod
    def _check(data: Mapping[str, Any], what: str) -> Mapping[str, Any]:
        """Raise :class:`ZaloAPIError` for ``error != 0``; return ``data["data"]``."""
        raw_code = data.get("error", "0")
        try:
            code = int(raw_code)
        except (TypeError, ValueError):
            code = -1
        if code != 0:
            message = data.get("message")
            raise ZaloAPIError(code, message if isinstance(message, str) else "", what)
        inner = data.get("data")
        return inner if isinstance(inner, Mapping) else {}

    async def _api(self, method: str, path: str, token: str, what: str, **kwargs: Any) -> Mapping[str, Any]:
        headers = {"access_token": token}
        data = await self._request(method, self._api_base + path, what, headers=headers, **kwargs)
        return self._check(data, what)

    # ----------------------------------------------------------------- endpoints

    async def send_cs(self, token: str, payload: Mapping[str, Any]) -> str:
        """``POST /v3.0/oa/message/cs``; returns Zalo's ``message_id``."""
        data = await self._api("POST", SEND_PATH, token, "gửi tin", json=payload)
        message_id = data.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise TransientSendError("Zalo gửi tin: phản hồi thiếu message_id", code="bad-response")
        return message_id

    async def upload(self, token: str, *, image: bool, filename: str, content: bytes, mime_type: str) -> str:
        """Upload an image (-> ``attachment_id``) or a file (-> ``token``)."""
        form = aiohttp.FormData()
        form.add_field("file", content, filename=filename, content_type=mime_type)
        path, key = (UPLOAD_IMAGE_PATH, "attachment_id") if image else (UPLOAD_FILE_PATH, "token")
        data = await self._api("POST", path, token, "tải tệp lên", data=form)
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise TransientSendError(f"Zalo tải tệp lên: phản hồi thiếu {key}", code="bad-response")
        return value

    async def user_detail(self, token: str, user_id: str) -> Mapping[str, Any]:
        """``GET /v3.0/oa/user/detail?data={"user_id": ...}``."""
        params = {"data": json.dumps({"user_id": user_id})}
        return await self._api("GET", USER_DETAIL_PATH, token, "lấy thông tin người dùng", params=params)

    async def refresh_tokens(self, *, app_id: str, app_secret: str, refresh_token: str) -> OAuthTokens:
        """``POST {oauth_base}/v4/oa/access_token`` (grant_type=refresh_token).

        Zalo answers with a NEW access token AND a NEW refresh token; the old refresh token is
        spent. An error answer carries ``error`` (negative) and ``error_name``/``error_description``.
        """
        form = {"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"}
        data = await self._request(
            "POST",
            self._oauth_base + OAUTH_TOKEN_PATH,
            "làm mới token",
            headers={"secret_key": app_secret},
            data=form,
        )
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            code = data.get("error", -1)
            detail = data.get("error_description") or data.get("error_name") or data.get("message") or ""
            raise ZaloAPIError(
                int(code) if str(code).lstrip("-").isdigit() else -1, str(detail), "làm mới token"
            )
        expires = data.get("expires_in")
        try:
            expires_in: float | None = float(expires) if expires is not None else None
        except (TypeError, ValueError):
            expires_in = None
        return OAuthTokens(access, refresh, expires_in)
