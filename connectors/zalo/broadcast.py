"""Zalo OA announcements: promotion messages, quota, the follower list and article broadcasts.

:class:`ZaloBroadcaster` implements :class:`connectors.broadcast.Broadcaster` on the
connector's aiohttp session, transport (:class:`ZaloClient`) and token manager (a token
refused with -216/-220/-124 is refreshed once, like the send path). Zalo's error codes become
the generic broadcast errors (:func:`connectors.zalo.errors.to_broadcast_error`), chained
``from`` the vendor error. See docs/zalo.md, "Tin truyền thông / broadcasts".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from connectors import broadcast as bc
from connectors.base import AuthExpired, RateLimited, TransientSendError, shorten
from connectors.broadcast import (
    Article,
    CampaignHalted,
    FollowerPage,
    Promotion,
    Quota,
    RetryLater,
)
from connectors.zalo.client import ZaloClient
from connectors.zalo.errors import ZaloAPIError, is_token_error, to_broadcast_error
from connectors.zalo.tokens import TokenManager

log = logging.getLogger(__name__)
T = TypeVar("T")

PROMOTION_PATH = "/v3.0/oa/message/promotion"
QUOTA_PATH = "/v3.0/oa/quota/message"
FOLLOWERS_PATH = "/v3.0/oa/user/getlist"
ARTICLE_CREATE_PATH = "/v2.0/article/create"
ARTICLE_VERIFY_PATH = "/v2.0/article/verify"
BROADCAST_PATH = "/v2.0/oa/message"

MAX_PAGE = 50  # getlist: count <= 50
MAX_LISTED = 10_000  # getlist: offset + count <= 10,000
MAX_ARTICLES = 5  # a broadcast carries at most 5 articles
HEADER_MAX = 100  # a promotion's header element
TEXT_MAX = 1000  # a promotion's text element
TRANSIENT_RETRY_AFTER = 30.0  # timeouts, 5xx, unreadable answers
DEFAULT_LINK_TITLE = "Xem chi tiết"
TARGET_KEYS = {
    "city": "cities",
    "age": "ages",
    "gender": "gender",
    "platform": "platform",
    "location": "locations",
}


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _message_id(data: Mapping[str, Any], what: str) -> str:
    """The vendor's message id of an accepted send; an answer without one is retried later."""
    message_id = _text(data, "message_id")
    if message_id is None:
        raise RetryLater(
            f"{what}: phản hồi thiếu message_id; sẽ thử lại sau.",
            reason=bc.TRANSIENT,
            retry_after=TRANSIENT_RETRY_AFTER,
        )
    return message_id


def _int(value: Any) -> int | None:
    try:
        return int(value)  # the transport reads JSON numbers as strings (ids above 2**53)
    except (TypeError, ValueError):
        return None


def promotion_payload(user_id: str, promotion: Promotion) -> dict[str, Any]:
    """The body of ``POST /v3.0/oa/message/promotion``: a promotion template of a banner (the
    image), a header (the title; without one, the text's first line when the text has several
    lines and that line is short) and the text, with one ``oa.open.url`` button for the link."""
    elements: list[dict[str, Any]] = []
    if promotion.image_url:
        elements.append({"type": "banner", "image_url": promotion.image_url})
    text = promotion.text.strip()
    first, _, rest = text.partition("\n")
    if promotion.title and promotion.title.strip():
        header = shorten(promotion.title, HEADER_MAX)
        elements.append({"type": "header", "content": header, "align": "left"})
    elif rest.strip() and len(first.strip()) <= HEADER_MAX:
        elements.append({"type": "header", "content": first.strip(), "align": "left"})
        text = rest.strip()
    elements.append({"type": "text", "content": text, "align": "left"})
    payload: dict[str, Any] = {"template_type": "promotion", "language": "VI", "elements": elements}
    if promotion.link_url:
        title = shorten(promotion.link_title or DEFAULT_LINK_TITLE, HEADER_MAX)
        payload["buttons"] = [
            {"title": title, "image_icon": "", "type": "oa.open.url", "payload": {"url": promotion.link_url}}
        ]
    message = {"attachment": {"type": "template", "payload": payload}}
    return {"recipient": {"user_id": user_id}, "message": message}


def article_payload(article: Article) -> dict[str, Any]:
    """The body of ``POST /v2.0/article/create`` (a "normal" article, shown, comments on)."""
    body: dict[str, Any] = {
        "type": "normal",
        "title": article.title,
        "author": article.author,
        "description": article.description,
        "body": [{"type": "text", "content": article.body}],
        "status": "show",
        "comment": "show",
    }
    if article.cover_url:
        body["cover"] = {"cover_type": "photo", "photo_url": article.cover_url, "status": "show"}
    return body


def zalo_target(target: Mapping[str, str]) -> dict[str, str]:
    """The generic target keys (``city``, ``age``, ``gender``, ``platform``, ``location``) as
    Zalo names them (``cities``, ``ages``, ``gender``, ``platform``, ``locations``); Zalo's own
    names pass through, values (Zalo's codes) unchanged."""
    return {TARGET_KEYS.get(key, key): value for key, value in target.items()}


def broadcast_payload(article_ids: list[str], target: Mapping[str, str]) -> dict[str, Any]:
    """The body of ``POST /v2.0/oa/message``: ``recipient.target`` and the articles."""
    elements = [{"media_type": "article", "attachment_id": article_id} for article_id in article_ids]
    attachment = {"type": "template", "payload": {"template_type": "media", "elements": elements}}
    return {"recipient": {"target": zalo_target(target)}, "message": {"attachment": attachment}}


class ZaloBroadcastClient(ZaloClient):
    """The endpoints of broadcasting, on the same transport as the send path."""

    async def post(self, path: str, token: str, what: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        return await self._api("POST", path, token, what, json=body)

    async def get(self, path: str, token: str, what: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return await self._api("GET", path, token, what, params={"data": json.dumps(data)})


class ZaloBroadcaster:
    """:class:`connectors.broadcast.Broadcaster` for a Zalo Official Account."""

    def __init__(
        self,
        *,
        client: ZaloBroadcastClient,
        tokens: TokenManager,
        clock: Callable[[], float],
        utc_offset: float = 7.0,
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._clock = clock
        self._utc_offset = utc_offset

    # ----------------------------------------------------------------- errors and tokens

    def _mapped(self, err: ZaloAPIError) -> bc.BroadcastError:
        return to_broadcast_error(err, now=self._clock(), utc_offset_hours=self._utc_offset)

    async def _authorised(self, call: Callable[[str], Awaitable[T]]) -> T:
        token = await self._tokens.access_token()
        try:
            return await call(token)
        except ZaloAPIError as err:
            if not is_token_error(err.code):
                raise self._mapped(err) from err
            log.info("zalo broadcast: access token refused (%s), refreshing", err.code)
        pair = await self._tokens.refresh(token)
        try:
            return await call(pair.access_token)
        except ZaloAPIError as err:
            if is_token_error(err.code):
                raise CampaignHalted(
                    "Zalo vẫn từ chối access token vừa làm mới: "
                    "quản trị viên cần cấp quyền lại cho ứng dụng.",
                    reason=bc.AUTH,
                    code=err.code,
                ) from err
            raise self._mapped(err) from err

    async def _call(self, call: Callable[[str], Awaitable[T]]) -> T:
        """``call(access_token)`` with one token refresh; every failure as a broadcast error."""
        try:
            return await self._authorised(call)
        except RateLimited as err:
            raise RetryLater(
                f"{err.reason}; sẽ gửi lại sau.",
                reason=bc.RATE_LIMITED,
                retry_after=err.retry_after,
                code=_int(err.code),
            ) from err
        except AuthExpired as err:
            if err.code == "lock":  # another worker is refreshing: only a matter of time
                raise RetryLater(err.reason, reason=bc.TRANSIENT, retry_after=TRANSIENT_RETRY_AFTER) from err
            raise CampaignHalted(
                f"{err.reason}. Chiến dịch dừng lại.", reason=bc.AUTH, code=_int(err.code)
            ) from err
        except TransientSendError as err:
            raise RetryLater(
                f"{err.reason}; sẽ thử lại sau.",
                reason=bc.TRANSIENT,
                retry_after=TRANSIENT_RETRY_AFTER,
                code=_int(err.code),
            ) from err

    # ----------------------------------------------------------------- promotions

    async def send_promotion(self, user_id: str, promotion: Promotion) -> str:
        body = promotion_payload(user_id, promotion)
        what = "gửi tin truyền thông"
        data = await self._call(lambda token: self._client.post(PROMOTION_PATH, token, what, body))
        return _message_id(data, "Zalo gửi tin truyền thông")

    async def remaining_quota(self, user_id: str) -> Quota:
        body = {"quota_owner": "User", "user_id": user_id, "quota_type": "promotion"}
        what = "xem hạn mức tin truyền thông"
        data = await self._call(lambda token: self._client.post(QUOTA_PATH, token, what, body))
        for key in ("remain", "remaining", "remaining_quota"):
            if key in data:
                return Quota(_int(data[key]))
        return Quota(None)

    # ----------------------------------------------------------------- followers

    async def followers(
        self, offset: int = 0, count: int = 50, last_interaction_period: str | None = None
    ) -> FollowerPage:
        """One page of current followers; Zalo lists at most 10,000 (``offset + count``)."""
        offset = max(offset, 0)
        count = max(1, min(count, MAX_PAGE, MAX_LISTED - offset))
        if offset >= MAX_LISTED:
            return FollowerPage([], 0, None)
        query: dict[str, Any] = {"offset": offset, "count": count, "is_follower": True}
        if last_interaction_period:
            query["last_interaction_period"] = last_interaction_period
        what = "lấy danh sách người quan tâm"
        data = await self._call(lambda token: self._client.get(FOLLOWERS_PATH, token, what, query))
        users = data.get("users")
        ids = [
            str(u["user_id"])
            for u in (users if isinstance(users, list) else [])
            if isinstance(u, Mapping) and u.get("user_id")
        ]
        total = _int(data.get("total")) or 0
        after = offset + len(ids)
        more = bool(ids) and after < min(total, MAX_LISTED)
        return FollowerPage(ids, total, after if more else None)

    # ----------------------------------------------------------------- articles

    async def create_article(self, article: Article) -> str:
        body = article_payload(article)
        what = "tạo bài viết"
        data = await self._call(lambda token: self._client.post(ARTICLE_CREATE_PATH, token, what, body))
        token_value = _text(data, "token")
        if token_value is None:
            raise RetryLater(
                "Zalo tạo bài viết: phản hồi thiếu token; sẽ thử lại sau.",
                reason=bc.TRANSIENT,
                retry_after=TRANSIENT_RETRY_AFTER,
            )
        return token_value

    async def verify_article(self, token: str) -> str | None:
        body = {"token": token}
        what = "kiểm tra bài viết"
        data = await self._call(lambda access: self._client.post(ARTICLE_VERIFY_PATH, access, what, body))
        return _text(data, "id")

    async def broadcast_articles(self, article_ids: list[str], target: dict[str, str]) -> str:
        if not article_ids or len(article_ids) > MAX_ARTICLES:
            raise CampaignHalted(
                f"Một lần gửi bài viết qua Zalo cần từ 1 đến {MAX_ARTICLES} bài (có {len(article_ids)}).",
                reason=bc.REJECTED,
            )
        body = broadcast_payload(article_ids, target)
        what = "gửi bài viết tới người quan tâm"
        data = await self._call(lambda token: self._client.post(BROADCAST_PATH, token, what, body))
        return _message_id(data, "Zalo gửi bài viết")
