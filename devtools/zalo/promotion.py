"""Promotion messages ("tin truyền thông") and the per-user quota, with Zalo's rules.

``POST /v3.0/oa/message/promotion`` accepts a promotion template for one user only:

* when the OA's package allows it (``package_too_low`` -> -224) and its feature quota is not
  spent (``feature_quota_spent`` -> -211): OA-level states tests switch on;
* within the OA's daily request limit (500 a day while it has at most 10,000 followers, else
  5% of its followers; ``promotion_daily_limit`` overrides it): beyond it, -32;
* between 06:00 and 22:00 on the simulator's clock at ``utc_offset_hours`` (default +7): else -234;
* to a current follower (-213) who has not restricted promotions (-244), at most
  ``promotion_daily_per_user`` a local day and ``promotion_monthly_quota`` a local month
  (-218 for both).

Accepted ones are recorded in ``promotions`` (:class:`SentPromotion`: user id, text, time).
``POST /v3.0/oa/quota/message`` answers a user's remaining monthly promotion quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from devtools.zalo.api import OaApi
from devtools.zalo.state import SimUser, new_msg_id, numeric_id

HEADER_MAX = 100
TEXT_MAX = 1000
MAX_BUTTONS = 4
BUTTON_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms", "oa.open.phone"}
ELEMENT_TYPES = {"banner", "header", "text", "table"}
SMALL_OA = 10_000  # followers: up to this many, 500 requests a day
SMALL_OA_DAILY = 500
LARGE_OA_SHARE = 0.05  # otherwise 5% of the followers a day


@dataclass
class SentPromotion:
    """A promotion message the simulator accepted."""

    message_id: str
    user_id: str
    text: str  # the header and text elements, one per line
    at: float  # epoch seconds on the simulator's clock
    local_day: date
    message: dict[str, Any]


def _check_element(element: Any, uploads: Mapping[str, Any]) -> tuple[int, str] | None:
    if not isinstance(element, Mapping) or element.get("type") not in ELEMENT_TYPES:
        return -201, "element type is invalid"
    kind = element["type"]
    if kind == "banner":
        if "attachment_id" in element:
            return None if element["attachment_id"] in uploads else (-201, "attachment_id is invalid")
        url = element.get("image_url")
        return None if isinstance(url, str) and url.startswith("http") else (-201, "image_url is invalid")
    if kind == "table":
        rows = element.get("content")
        return None if isinstance(rows, list) and rows else (-201, "table content is invalid")
    content = element.get("content")
    if not isinstance(content, str) or not content.strip():
        return -201, f"{kind} content is required"
    limit = HEADER_MAX if kind == "header" else TEXT_MAX
    return (-210, f"{kind} content exceeds {limit} characters") if len(content) > limit else None


def _check_button(button: Any) -> tuple[int, str] | None:
    if not isinstance(button, Mapping) or button.get("type") not in BUTTON_TYPES:
        return -201, "button type is invalid"
    title = button.get("title")
    if not isinstance(title, str) or not title.strip():
        return -201, "button title is required"
    if len(title) > HEADER_MAX:
        return -210, "button title exceeds 100 characters"
    payload = button.get("payload")
    if button["type"] == "oa.open.url":
        url = payload.get("url") if isinstance(payload, Mapping) else None
        if not isinstance(url, str) or not url.startswith("http"):
            return -201, "button url is invalid"
    return None


def check_promotion(message: Any, uploads: Mapping[str, Any]) -> tuple[int, str] | None:
    """Zalo's checks of a promotion template: the error (code, message), or None."""
    try:
        attachment = message["attachment"]
        payload = attachment["payload"]
        kind, template = attachment["type"], payload["template_type"]
        elements = payload["elements"]
    except (KeyError, TypeError):
        return -201, "message.attachment.payload is invalid"
    if kind != "template" or template != "promotion":
        return -201, "template_type must be promotion"
    if not isinstance(elements, list) or not elements:
        return -201, "elements are required"
    if not any(isinstance(e, Mapping) and e.get("type") in ("header", "text") for e in elements):
        return -201, "a header or text element is required"
    buttons = payload.get("buttons", [])
    if not isinstance(buttons, list):
        return -201, "buttons are invalid"
    if len(buttons) > MAX_BUTTONS:
        return -210, "at most 4 buttons"
    for problem in (*(_check_element(e, uploads) for e in elements), *(_check_button(b) for b in buttons)):
        if problem is not None:
            return problem
    return None


def promotion_text(message: Mapping[str, Any]) -> str:
    elements = message["attachment"]["payload"]["elements"]
    return "\n".join(e["content"] for e in elements if e.get("type") in ("header", "text"))


class PromotionApi(OaApi):
    """Promotion messages and the quota endpoint (routed by the server)."""

    def __init__(self, *, utc_offset_hours: float = 7.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.utc_offset_hours = utc_offset_hours  # Zalo's local time (Vietnam: +7)
        self.promotion_monthly_quota = 8  # per user and local month
        self.promotion_daily_per_user = 1
        self.promotion_daily_limit: int | None = None  # None: Zalo's rule by follower count
        self.feature_quota_spent = False  # -211
        self.package_too_low = False  # -224
        self.promotions: list[SentPromotion] = []
        self.promotion_requests: dict[date, int] = {}  # per local day, for the OA's limit

    # ----------------------------------------------------------------- test controls

    def local_now(self) -> datetime:
        """The simulator's clock in Zalo's local time."""
        return datetime.fromtimestamp(self.clock(), timezone(timedelta(hours=self.utc_offset_hours)))

    def add_followers(self, count: int, *, name: str = "Người quan tâm", **kw: Any) -> list[SimUser]:
        """``count`` new users who follow the OA (``kw``: other :class:`SimUser` fields)."""
        users: list[SimUser] = []
        for i in range(count):
            user_id = numeric_id(19)
            while user_id in self.users:
                user_id = numeric_id(19)
            users.append(self.add_user(f"{name} {i + 1}", user_id=user_id, **kw))
        return users

    def followers(self) -> list[SimUser]:
        return [u for u in self.users.values() if u.follower]

    def daily_request_limit(self) -> int:
        """Promotion requests the OA may make a day: 500 with up to 10,000 followers, else 5%."""
        if self.promotion_daily_limit is not None:
            return self.promotion_daily_limit
        followers = len(self.followers())
        return SMALL_OA_DAILY if followers <= SMALL_OA else int(followers * LARGE_OA_SHARE)

    def promotions_to(self, user_id: str, *, day: date | None = None, month: date | None = None) -> int:
        """Promotions accepted for ``user_id`` on a local day, or in the local month of ``month``."""
        return sum(
            1
            for p in self.promotions
            if p.user_id == user_id
            and (day is None or p.local_day == day)
            and (month is None or (p.local_day.year, p.local_day.month) == (month.year, month.month))
        )

    def remaining_promotions(self, user_id: str) -> int:
        used = self.promotions_to(user_id, month=self.local_now().date())
        return max(self.promotion_monthly_quota - used, 0)

    # ----------------------------------------------------------------- rules

    def _oa_refusal(self, today: date) -> int | None:
        if self.package_too_low:
            return -224
        if self.feature_quota_spent:
            return -211
        self.promotion_requests[today] = self.promotion_requests.get(today, 0) + 1
        if self.promotion_requests[today] > self.daily_request_limit():
            return -32
        hour = self.local_now().hour
        return None if 6 <= hour < 22 else -234

    def _user_refusal(self, user_id: str, today: date) -> int | None:
        user = self.users.get(user_id)
        if user is None or not user.follower:
            return -213
        if user.restricted_promotions:
            return -244
        if self.promotions_to(user_id, day=today) >= self.promotion_daily_per_user:
            return -218
        return -218 if self.remaining_promotions(user_id) <= 0 else None

    # ----------------------------------------------------------------- handlers

    def _refuse(self, endpoint: str, code: int, message: str | None = None) -> web.Response:
        self.requests.append((endpoint, str(code)))
        return self._zalo_error(code, message)

    async def _open(self, endpoint: str, request: web.Request) -> tuple[Any, web.Response | None]:
        """What every announcement call starts with: a scripted fault, the access token, a
        JSON body. (body, None), or (None, the refusal to answer)."""
        fault = await self._apply_fault(endpoint)
        if fault is not None:
            return None, fault
        if not self._token_ok(request):
            return None, self._refuse(endpoint, -216)
        try:
            return await request.json(), None
        except ValueError:
            return None, self._refuse(endpoint, -201, "body is not JSON")

    async def _promotion(self, request: web.Request) -> web.Response:
        body, refused = await self._open("promotion", request)
        if refused is not None:
            return refused
        try:
            user_id, message = body["recipient"]["user_id"], body["message"]
        except (KeyError, TypeError):
            return self._refuse("promotion", -201, "recipient.user_id or message is invalid")
        if not isinstance(user_id, str):
            return self._refuse("promotion", -201, "recipient.user_id is invalid")
        problem = check_promotion(message, self.uploads)
        if problem is not None:
            return self._refuse("promotion", *problem)
        today = self.local_now().date()
        code = self._oa_refusal(today) or self._user_refusal(user_id, today)
        if code is not None:
            return self._refuse("promotion", code)
        sent = SentPromotion(new_msg_id(), user_id, promotion_text(message), self.clock(), today, message)
        self.promotions.append(sent)
        self.requests.append(("promotion", "ok"))
        data = {"message_id": sent.message_id, "user_id": user_id}
        return web.json_response({"error": 0, "message": "Success", "data": data})

    async def _quota(self, request: web.Request) -> web.Response:
        body, refused = await self._open("quota", request)
        if refused is not None:
            return refused
        try:
            user_id = body["user_id"]
        except (KeyError, TypeError):
            return self._refuse("quota", -201, "user_id is required")
        if not isinstance(user_id, str) or user_id not in self.users:
            return self._refuse("quota", -201, "user_id is invalid")
        today = self.local_now().date()
        daily = max(self.promotion_daily_per_user - self.promotions_to(user_id, day=today), 0)
        data = {
            "user_id": user_id,
            "quota_type": "promotion",
            "total": self.promotion_monthly_quota,
            "remain": self.remaining_promotions(user_id),
            "daily_remain": daily,
        }
        self.requests.append(("quota", "ok"))
        return web.json_response({"error": 0, "message": "Success", "data": data})
