"""The connector contract: every channel turns its vendor payloads into these types.

A connector is one package per channel (``connectors/<name>/``). It

* verifies a webhook delivery over its raw bytes (``verify``),
* parses a delivery into zero or more :class:`InboundMessage` (``parse``; a delivery can
  hold many events, and unknown event types come back as ``EventKind.UNKNOWN``, never
  silently dropped),
* sends an :class:`OutboundMessage` (``send``) and returns a :class:`SendResult`, or raises
  one of the :class:`SendError` subclasses below, chained ``from`` the vendor error.

A connector never touches the database. Whatever it must persist (an OAuth token pair, the
last IMAP UID) goes through the injected :class:`StateStore`; whatever it pulls (e-mail)
goes to the injected :data:`Deliver` callback, which returns only once the messages are
stored.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from aiohttp import web


class EventKind(enum.StrEnum):
    MESSAGE = "message"  # a citizen wrote something: text and/or attachments
    OPERATOR_MESSAGE = "operator_message"  # staff typed a reply in the vendor's own console
    ECHO = "echo"  # the vendor echoes a message we sent ourselves: not a new message
    DELIVERY = "delivery"  # our message(s) reached the citizen's device
    READ = "read"  # the citizen read our message(s)
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    POSTBACK = "postback"  # a button / quick reply press that carries a payload
    UNKNOWN = "unknown"  # an event type we do not handle: logged and acknowledged


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    READ = "read"


class SenderRole(enum.StrEnum):
    CITIZEN = "citizen"
    BOT = "bot"
    OPERATOR = "operator"
    AGENCY = "agency"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file, image, sticker, location or link attached to a message."""

    kind: str  # image | file | audio | video | sticker | location | link | gif
    url: str | None = None
    name: str | None = None
    size: int | None = None
    mime_type: str | None = None
    data: bytes | None = None  # inline content (e-mail parts); the hub stores it as a file
    meta: Mapping[str, Any] = field(default_factory=dict)  # e.g. latitude/longitude


@dataclass(frozen=True, slots=True)
class ContactProfile:
    """What a channel tells us about the person (Điều 7.2 fields where known)."""

    display_name: str | None = None
    full_name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    avatar_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One event of a delivery, in the hub's terms."""

    channel: str
    kind: EventKind
    external_user_id: str  # Zalo user id, Facebook PSID, e-mail address, web-chat session id
    channel_message_id: str | None = None  # the vendor's id; (channel, id) is unique
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    sent_at: datetime | None = None  # the vendor's timestamp, timezone-aware
    profile: ContactProfile | None = None
    # threading hints (e-mail: Message-ID of In-Reply-To/References, subject)
    subject: str | None = None
    reply_to_ids: tuple[str, ...] = ()
    # delivery/read receipts: which of our channel message ids, or everything up to a watermark
    refers_to: tuple[str, ...] = ()
    watermark: datetime | None = None
    # automatic mail (RFC 3834) and similar: stored, never answered
    auto_generated: bool = False
    postback_payload: str | None = None
    raw_type: str = ""  # the vendor's own event name, e.g. "user_send_text"
    raw: Mapping[str, Any] = field(default_factory=dict)  # the vendor event, for the record
    # set when the connector could not read this one event of a delivery (Vietnamese reason):
    # the hub keeps ``raw`` in webhook_failures and stores the delivery's other events
    error: str | None = None


@dataclass(frozen=True, slots=True)
class QuickReply:
    """A suggestion the citizen can tap. ``title`` is what they see; ``payload`` comes back
    as their message text when tapped, and is plain text they could also type ("1",
    "Gặp cán bộ")."""

    title: str
    payload: str

    @classmethod
    def from_stored(cls, value: Any) -> QuickReply | None:
        """One button of a stored reply's ``meta["buttons"]``: ``{"title", "payload"}``, or
        a plain string in rows written before buttons had titles (title = payload = it).
        Anything else (empty, malformed) is None."""
        if isinstance(value, str):
            text = value.strip()
            return cls(text, text) if text else None
        if isinstance(value, Mapping):
            title, payload = value.get("title"), value.get("payload")
            payload = payload if isinstance(payload, str) and payload.strip() else title
            if not isinstance(payload, str) or not payload.strip():
                return None
            shown = title if isinstance(title, str) and title.strip() else payload
            return cls(shown.strip(), payload.strip())
        return None


def stored_quick_replies(buttons: Any) -> tuple[QuickReply, ...]:
    """``meta["buttons"]`` of a stored reply, old (strings) or new (objects), as quick replies."""
    if not isinstance(buttons, list | tuple):
        return ()
    found = (QuickReply.from_stored(b) for b in buttons)
    return tuple(q for q in found if q is not None)


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: a longer one is cut, between words when a
    word boundary lies in the second half, and ends with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    space = head.rfind(" ")
    if text[len(head)] != " " and space > len(head) // 2:
        head = head[:space]
    return head.rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can show, and how its messages are stored and reach the hub. Generic
    code asks a connector's ``capabilities``, never its name (storage/ gets them from bot/,
    by channel name). ``max_quick_replies == 0``: no tap-able suggestions, the text's
    numbering is all."""

    max_quick_replies: int = 0  # suggestions one message can carry as buttons
    quick_reply_title: int | None = None  # characters of a title; longer ones end with "…"
    quick_reply_payload: int | None = None  # characters of a payload (never cut: see fit)
    # the citizen reads replies from the hub's own database (the web chat page): a stored
    # reply is delivered, so the relay records it and never calls ``send``
    delivered_when_stored: bool = False
    # messages come in threads (e-mail): a reply joins the conversation of the message it
    # answers (its reply headers, In-Reply-To/References, else a ticket code in its subject),
    # and a message that answers none starts a conversation of its own. Without threads a
    # person has one open conversation on the channel, which every message joins
    threaded: bool = False
    # the sender's external id is their e-mail address: a new contact gets it as its e-mail
    sender_is_email_address: bool = False
    # the channel's events reach the hub through its own API (the web chat page posts to
    # /webchat/api), never through the generic /webhooks/<channel> route
    own_api: bool = False
    # automatic replies are rationed (e-mail: one a day per person and conversation, RFC 3834):
    # the replies of one turn (a first contact's greeting and the answer) go as one message
    one_reply_per_turn: bool = False

    @property
    def tap_able(self) -> bool:
        return self.max_quick_replies > 0

    def fit(self, replies: Sequence[QuickReply]) -> tuple[QuickReply, ...]:
        """The quick replies this channel shows: titles shortened with "…", at most
        ``max_quick_replies``. A payload longer than the channel takes is never cut (the bot
        would read another text): that button is left out, the reply's text still lists it."""
        out: list[QuickReply] = []
        for reply in replies:
            if self.quick_reply_payload is not None and len(reply.payload) > self.quick_reply_payload:
                continue
            title = reply.title.strip() or reply.payload
            if self.quick_reply_title is not None:
                title = shorten(title, self.quick_reply_title)
            out.append(QuickReply(title, reply.payload))
        return tuple(out[: self.max_quick_replies])


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply the hub wants delivered to a citizen."""

    channel: str
    external_user_id: str
    text: str
    message_id: int  # the hub's message id: stable across retries (idempotency key)
    conversation_id: int
    sender_role: SenderRole = SenderRole.BOT
    attachments: tuple[Attachment, ...] = ()
    subject: str | None = None
    in_reply_to: str | None = None  # channel message id we answer (e-mail Message-ID)
    references: tuple[str, ...] = ()
    last_inbound_at: datetime | None = None  # for 24 h / 7-day messaging windows
    quick_replies: tuple[QuickReply, ...] = ()  # tap-able suggestions (stored meta "buttons")
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    channel_message_ids: tuple[str, ...] = ()  # a long text may go out as several messages
    status: DeliveryStatus = DeliveryStatus.SENT


# --------------------------------------------------------------------------- errors


class ChannelError(Exception):
    """Base of every error a connector raises."""


class ChannelNotConfigured(ChannelError):
    """The channel's settings are absent or incomplete; the channel is off."""


class SignatureError(ChannelError):
    """A webhook delivery failed verification (forged, stale or unsigned)."""

    http_status: int = 401


class NoWebhook(SignatureError):
    """The channel takes no webhook deliveries (it polls, or has its own API)."""

    http_status: int = 404


class PayloadError(ChannelError):
    """A delivery is not what the vendor sends: malformed JSON, missing fields."""


class SendError(ChannelError):
    """A send failed. ``retryable`` tells the outbox whether to try again."""

    retryable: bool = True

    def __init__(self, reason: str, *, code: str | int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientSendError(SendError):
    """Network trouble, 5xx, timeouts: try again later with backoff."""

    retryable = True


class RateLimited(TransientSendError):
    """The vendor asked us to slow down; ``retry_after`` is in seconds."""

    def __init__(self, reason: str, *, retry_after: float, code: str | int | None = None) -> None:
        super().__init__(reason, code=code)
        self.retry_after = retry_after


class AuthExpired(TransientSendError):
    """The access token expired and could not be refreshed right now."""


class PermanentSendError(SendError):
    """The message can never go out this way (user blocked us, outside the messaging
    window, invalid recipient). ``reason`` is shown to the operator in Vietnamese."""

    retryable = False


# --------------------------------------------------------------------------- injected services


DAY = 24 * 3600.0
# how long a state value lasts by default: state a connector keeps for good (an OAuth token
# pair, a mailbox cursor) is written again long before a year has passed
STATE_TTL = 365 * DAY
# what a multi-part send delivered so far: needed while the outbox may retry that message
# (bounded attempts, minutes apart), kept a week
SEND_PROGRESS_TTL = 7 * DAY


class StateStore(Protocol):
    """Small durable key-value state a connector may keep (provided by the hub).

    Every write expires: a value is gone ``ttl`` seconds after it was written (it reads as
    None, and ``compare_and_set`` from None may write it again); choose ``ttl`` for the use.
    ``compare_and_set`` lets a connector rotate a token pair atomically across workers;
    ``lock`` is a cross-worker lock (Redis or database), held for the ``async with`` block.
    """

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, *, ttl: float = STATE_TTL) -> None: ...

    async def compare_and_set(
        self, key: str, expected: str | None, value: str, *, ttl: float = STATE_TTL
    ) -> bool: ...

    def lock(self, name: str, *, timeout: float = 30.0) -> AbstractAsyncContextManager[bool]: ...


Deliver = Callable[[Sequence[InboundMessage]], Awaitable[None]]
"""Hub callback for pull channels: returns once every message is durably stored."""


class Connector(abc.ABC):
    """One channel. Subclasses set ``name`` and implement the abstract methods."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()  # none: suggestions stay numbered text

    async def verify(self, request: web.Request) -> bytes:
        """Check the delivery's authenticity over its raw bytes; return those bytes.

        Raises :class:`SignatureError`. The default refuses every delivery (:class:`NoWebhook`):
        a pull channel (e-mail) has nothing to verify a posted message with, so one posted to
        ``/webhooks/<channel>`` could be anyone's."""
        raise NoWebhook(f"kênh {self.name} không nhận tin qua webhook")

    @abc.abstractmethod
    def parse(self, raw: bytes) -> list[InboundMessage]:
        """Turn one verified delivery into events. Raises :class:`PayloadError`."""

    @abc.abstractmethod
    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one outbound message, or raise a :class:`SendError`."""

    async def fetch_profile(self, external_user_id: str) -> ContactProfile | None:
        """Look up the person's display name etc. on first contact (optional)."""
        return None

    def routes(self) -> list[web.RouteDef]:
        """Extra HTTP routes the channel needs (e.g. Facebook's GET handshake)."""
        return []

    async def start(self, deliver: Deliver) -> None:  # noqa: B027 - optional hook
        """Start background work (pollers). Pull channels hand messages to ``deliver``."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop background work and release resources."""

    async def typing(self, external_user_id: str, on: bool = True) -> None:  # noqa: B027
        """Show a typing indicator where the channel has one."""
