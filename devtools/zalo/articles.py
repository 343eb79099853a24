"""The follower list and article broadcasts, with Zalo's rules.

* ``GET /v3.0/oa/user/getlist?data={"offset", "count", "is_follower", "last_interaction_period"}``:
  ``count`` at most 50 and ``offset + count`` at most 10,000 (-210 beyond), users in the order
  they were added;
* ``POST /v2.0/article/create`` returns a ``token`` (creation is asynchronous);
  ``POST /v2.0/article/verify`` returns the article ``id`` once ``article_review_delay``
  seconds of the simulator's clock have passed (before that: ``data`` without ``id``);
* ``POST /v2.0/oa/message`` with ``recipient.target`` and 1 to 5 verified articles, recorded in
  ``article_broadcasts``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from devtools.zalo.promotion import PromotionApi
from devtools.zalo.state import SimUser, new_msg_id

MAX_PAGE = 50
MAX_LISTED = 10_000
MAX_ARTICLES = 5
TITLE_MAX = 150
DESCRIPTION_MAX = 300
TARGET_KEYS = {"ages", "gender", "locations", "cities", "platform"}
DAY = 86400.0
PERIODS = {"TODAY": 0, "YESTERDAY": 1, "L7D": 7, "L30D": 30}  # local days back (0: today only)


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code, self.message = code, message


@dataclass
class SimArticle:
    token: str
    created_at: float
    body: dict[str, Any]
    article_id: str | None = None

    @property
    def title(self) -> str:
        return str(self.body.get("title", ""))


@dataclass
class ArticleBroadcast:
    message_id: str
    target: dict[str, Any]
    article_ids: list[str]
    at: float


def _check_article(body: Any) -> tuple[int, str] | None:
    if not isinstance(body, Mapping) or body.get("type") != "normal":
        return -201, "type must be normal"
    title, description, content = body.get("title"), body.get("description"), body.get("body")
    if not isinstance(title, str) or not title.strip():
        return -201, "title is required"
    if len(title) > TITLE_MAX:
        return -210, "title exceeds 150 characters"
    if not isinstance(description, str) or not description.strip():
        return -201, "description is required"
    if len(description) > DESCRIPTION_MAX:
        return -210, "description exceeds 300 characters"
    if not isinstance(content, list) or not content:
        return -201, "body is required"
    cover = body.get("cover")
    if cover is not None:
        photo = cover.get("photo_url") if isinstance(cover, Mapping) else None
        if not isinstance(photo, str) or not photo.startswith("http"):
            return -201, "cover.photo_url is invalid"
    return None


class ArticleApi(PromotionApi):
    """The follower list and the article endpoints (routed by the server)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.article_review_delay = 1800.0  # seconds of the simulator's clock (~30 minutes)
        self.articles: dict[str, SimArticle] = {}  # by token
        self.article_broadcasts: list[ArticleBroadcast] = []

    # ----------------------------------------------------------------- followers

    def _interacted_within(self, user: SimUser, days_back: int) -> bool:
        """Whether the user's last interaction was ``days_back`` local days ago or later
        (``YESTERDAY``: that day only)."""
        if user.last_interaction is None:
            return False
        offset = self.utc_offset_hours * 3600.0
        day = int((user.last_interaction + offset) // DAY - (self.clock() + offset) // DAY)
        return day == -1 if days_back == 1 else -days_back <= day <= 0

    def _listed(self, query: Mapping[str, Any]) -> list[SimUser] | tuple[int, str]:
        users = list(self.users.values())
        if "is_follower" in query:
            wanted = str(query["is_follower"]).lower() in ("true", "1")
            users = [u for u in users if u.follower == wanted]
        period = query.get("last_interaction_period")
        if period is not None:
            if period not in PERIODS:
                return -201, "last_interaction_period is invalid"
            users = [u for u in users if self._interacted_within(u, PERIODS[period])]
        return users

    async def _getlist(self, request: web.Request) -> web.Response:
        fault = await self._apply_fault("getlist")
        if fault is not None:
            return fault
        if not self._token_ok(request):
            return self._refuse("getlist", -216)
        try:
            query = json.loads(request.query.get("data", ""))
            offset, count = int(query["offset"]), int(query["count"])
        except (ValueError, KeyError, TypeError):
            return self._refuse("getlist", -201, "data.offset and data.count are required")
        if offset < 0 or count < 1:
            return self._refuse("getlist", -201, "offset or count is invalid")
        if count > MAX_PAGE:
            return self._refuse("getlist", -210, "count must be at most 50")
        if offset + count > MAX_LISTED:
            return self._refuse("getlist", -210, "offset + count must be at most 10000")
        listed = self._listed(query)
        if isinstance(listed, tuple):
            return self._refuse("getlist", *listed)
        page = listed[offset : offset + count]
        data = {
            "total": len(listed),
            "count": len(page),
            "offset": offset,
            "users": [{"user_id": u.user_id} for u in page],
        }
        self.requests.append(("getlist", "ok"))
        return web.json_response({"error": 0, "message": "Success", "data": data})

    # ----------------------------------------------------------------- articles

    async def _article_create(self, request: web.Request) -> web.Response:
        body, refused = await self._open("article", request)
        if refused is not None:
            return refused
        problem = _check_article(body)
        if problem is not None:
            return self._refuse("article", *problem)
        token = secrets.token_urlsafe(24)
        self.articles[token] = SimArticle(token, self.clock(), body)
        self.requests.append(("article", "created"))
        return web.json_response({"error": 0, "message": "Success", "data": {"token": token}})

    async def _article_verify(self, request: web.Request) -> web.Response:
        body, refused = await self._open("article", request)
        if refused is not None:
            return refused
        try:
            token = body["token"]
        except (KeyError, TypeError):
            return self._refuse("article", -201, "token is required")
        article = self.articles.get(token) if isinstance(token, str) else None
        if article is None:
            return self._refuse("article", -201, "token is invalid")
        if self.clock() < article.created_at + self.article_review_delay:
            self.requests.append(("article", "processing"))
            return web.json_response({"error": 0, "message": "Processing", "data": {"token": token}})
        if article.article_id is None:
            article.article_id = secrets.token_hex(10)
        self.requests.append(("article", "verified"))
        return web.json_response({"error": 0, "message": "Success", "data": {"id": article.article_id}})

    def verified_article_ids(self) -> set[str]:
        return {a.article_id for a in self.articles.values() if a.article_id is not None}

    def _check_broadcast(self, body: Any) -> tuple[dict[str, Any], list[str]]:
        """The target and article ids of a broadcast, or :class:`Refused`."""
        try:
            target = body["recipient"]["target"]
            payload = body["message"]["attachment"]["payload"]
            elements = payload["elements"]
        except (KeyError, TypeError) as err:
            raise Refused(-201, "recipient.target and message.attachment are required") from err
        if not isinstance(target, dict) or not target or not set(target) <= TARGET_KEYS:
            raise Refused(-201, "recipient.target is invalid")
        if payload.get("template_type") != "media" or not isinstance(elements, list) or not elements:
            raise Refused(-201, "elements are required")
        if len(elements) > MAX_ARTICLES:
            raise Refused(-210, "at most 5 articles")
        known = self.verified_article_ids()
        ids: list[str] = []
        for element in elements:
            if not isinstance(element, Mapping) or element.get("media_type") != "article":
                raise Refused(-201, "media_type must be article")
            if element.get("attachment_id") not in known:
                raise Refused(-201, "attachment_id is invalid")
            ids.append(str(element["attachment_id"]))
        return target, ids

    async def _broadcast(self, request: web.Request) -> web.Response:
        body, refused = await self._open("broadcast", request)
        if refused is not None:
            return refused
        try:
            target, ids = self._check_broadcast(body)
        except Refused as err:
            return self._refuse("broadcast", err.code, err.message)
        sent = ArticleBroadcast(new_msg_id(), dict(target), list(ids), self.clock())
        self.article_broadcasts.append(sent)
        self.requests.append(("broadcast", "ok"))
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": sent.message_id}})
