"""Broadcasting to a channel's followers: the generic contract (no vendor names here).

A connector that can broadcast (promotion messages to one follower at a time, articles to
a target audience, the follower list) has a method ``broadcaster()`` returning a
:class:`Broadcaster`; generic code asks :func:`broadcaster_of`, never a channel's name.

Errors are our own, each with a Vietnamese message (``str(err)``) fit to show an officer and
chained ``from`` the vendor error:

* :class:`RecipientSkipped`: this recipient cannot get it (not a follower, their quota is
  spent, they restricted this kind of message); go on with the others;
* :class:`RetryLater`: try this recipient again after ``retry_after`` seconds (rate limit,
  night time, transient trouble);
* :class:`CampaignHalted`: stop the whole campaign and tell the sender (the OA's feature
  quota is spent, its service package is too low, its authorisation cannot be refreshed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from connectors.base import ChannelError

# RecipientSkipped reasons
NOT_FOLLOWER = "not_follower"
USER_QUOTA = "user_quota"
USER_RESTRICTED = "user_restricted"
USER_INACTIVE = "user_inactive"  # the account is locked or long inactive
# RetryLater reasons
RATE_LIMITED = "rate_limited"
NIGHT_TIME = "night_time"
TRANSIENT = "transient"
# CampaignHalted reasons
FEATURE_QUOTA = "feature_quota"
PACKAGE_TOO_LOW = "package_too_low"
AUTH = "auth"
REJECTED = "rejected"  # the channel refused the content or the request itself


@dataclass(frozen=True)
class Promotion:
    """A promotion message to one follower: text, optional banner image, optional link, and
    an optional title shown as the message's heading (without one, a channel may show the
    text's short first line as the heading)."""

    text: str
    image_url: str | None = None
    link_url: str | None = None
    link_title: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Article:
    """A news article the channel publishes, then broadcasts to a target audience."""

    title: str
    description: str
    body: str
    cover_url: str | None = None
    author: str = ""


@dataclass(frozen=True)
class Quota:
    """The user's remaining promotion quota this month (``None``: unknown)."""

    remaining: int | None


@dataclass(frozen=True)
class FollowerPage:
    """One page of the follower list; ``next_offset`` is None on the last page."""

    user_ids: list[str]
    total: int
    next_offset: int | None


class BroadcastError(ChannelError):
    """Base of the broadcast errors; ``str(err)`` is a Vietnamese message for an officer."""

    def __init__(self, message: str, *, reason: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.code = code


class RecipientSkipped(BroadcastError):
    """This recipient cannot get the message; the campaign goes on with the others.

    ``reason``: ``"not_follower"``, ``"user_quota"``, ``"user_restricted"`` or
    ``"user_inactive"`` (the account is locked or long inactive)."""


class RetryLater(BroadcastError):
    """Try again after ``retry_after`` seconds.

    ``reason``: ``"rate_limited"``, ``"night_time"`` (``retry_after`` reaches 06:00 local
    time) or ``"transient"`` (timeouts, server errors)."""

    def __init__(self, message: str, *, reason: str, retry_after: float, code: int | None = None) -> None:
        super().__init__(message, reason=reason, code=code)
        self.retry_after = retry_after


class CampaignHalted(BroadcastError):
    """Stop the campaign and tell the sender.

    ``reason``: ``"feature_quota"``, ``"package_too_low"``, ``"auth"`` (authorisation that
    cannot be refreshed) or ``"rejected"`` (the channel refuses the content or request)."""


@runtime_checkable
class Broadcaster(Protocol):
    async def send_promotion(self, user_id: str, promotion: Promotion) -> str:
        """Send one promotion message; returns the vendor's message id."""
        ...

    async def remaining_quota(self, user_id: str) -> Quota: ...

    async def followers(
        self, offset: int = 0, count: int = 50, last_interaction_period: str | None = None
    ) -> FollowerPage: ...

    async def create_article(self, article: Article) -> str:
        """Start creating an article; returns a token for :meth:`verify_article`."""
        ...

    async def verify_article(self, token: str) -> str | None:
        """The article id once the channel has made it, else None (still processing)."""
        ...

    async def broadcast_articles(self, article_ids: list[str], target: dict[str, str]) -> str:
        """Broadcast up to 5 articles to the followers matching ``target``; the message id.

        ``target`` keys: ``city``, ``age``, ``gender``, ``platform`` (and ``location``); the
        values are the channel's own codes, passed through unchanged."""
        ...


def broadcaster_of(connector: object) -> Broadcaster | None:
    """The connector's broadcaster when it has one (a ``broadcaster()`` method), else None."""
    make = getattr(connector, "broadcaster", None)
    if not callable(make):
        return None
    result: Broadcaster = make()
    return result


__all__ = [
    "Article",
    "BroadcastError",
    "Broadcaster",
    "CampaignHalted",
    "FollowerPage",
    "Promotion",
    "Quota",
    "RecipientSkipped",
    "RetryLater",
    "broadcaster_of",
]
