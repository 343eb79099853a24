"""A delivery's events made storable, stored one by one, and never lost.

Every channel (webhooks, web chat, e-mail poller) stores through :func:`ingest`:

* every string of an event is made storable (:mod:`connectors.text`: NUL/C0 controls out,
  lone surrogates to U+FFFD), never refused;
* text, subject and payload longer than the channel's maximum (``HUB_MAX_TEXT_CHARS``,
  per channel ``HUB_MAX_TEXT_CHARS_<CHANNEL>``) keep their prefix; the message's
  ``meta["truncated"]`` gives the original lengths. Names and profile fields are cut to
  their columns;
* an id longer than its column cannot be stored or matched: that event alone is refused
  with a Vietnamese reason;
* a refused event, or one the database rejects for its data, is kept in
  ``webhook_failures`` (raw vendor event and what we parsed from it) for an operator, and
  the other events of the delivery are stored all the same. Any other error (the database
  is down) propagates, so the vendor is answered 5xx and delivers again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from connectors.base import Attachment, Capabilities, ContactProfile, EventKind, InboundMessage
from connectors.text import storable, storable_event, storable_value
from storage.clock import Clock
from storage.models import Attachment as AttachmentRow
from storage.models import ChannelIdentity, Contact, Message, WebhookFailure
from storage.record.conversations import GreetingSource
from storage.record.ingest import IngestResult, ingest_one
from storage.record.state import is_lock_conflict
from storage.session import SessionMaker

log = logging.getLogger(__name__)

DEFAULT_MAX_TEXT_CHARS = 100_000


def _length(column: Any) -> int:
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), f"{column} has no length"
    return length


MESSAGE_ID_MAX = _length(Message.__table__.c.channel_message_id)
EXTERNAL_ID_MAX = _length(ChannelIdentity.__table__.c.external_id)
_CONTACT = Contact.__table__.c
_ATTACHMENT = AttachmentRow.__table__.c
# events that create or update a channel identity (the others only look one up)
_WITH_IDENTITY = frozenset(
    {
        EventKind.MESSAGE,
        EventKind.POSTBACK,
        EventKind.ECHO,
        EventKind.OPERATOR_MESSAGE,
        EventKind.FOLLOW,
        EventKind.UNFOLLOW,
    }
)


@dataclass(frozen=True, slots=True)
class TextLimits:
    """Characters of text stored per message: ``default``, or the channel's own maximum."""

    default: int = DEFAULT_MAX_TEXT_CHARS
    by_channel: Mapping[str, int] = field(default_factory=dict)

    def for_channel(self, channel: str) -> int:
        return self.by_channel.get(channel, self.default)


# --------------------------------------------------------------------------- one event


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value is not None and len(value) > limit else value


def fit_profile(profile: ContactProfile) -> ContactProfile:
    """Profile fields cut to their columns (a name is not worth refusing a message for)."""
    return replace(
        profile,
        display_name=_cut(profile.display_name, _length(_CONTACT.display_name)),
        full_name=_cut(profile.full_name, _length(_CONTACT.full_name)),
        phone=_cut(profile.phone, _length(_CONTACT.phone)),
        email=_cut(profile.email, _length(_CONTACT.email)),
    )


def _fit_attachment(a: Attachment) -> Attachment:
    return replace(
        a,
        kind=a.kind[: _length(_ATTACHMENT.kind)],
        name=_cut(a.name, _length(_ATTACHMENT.name)),
        mime_type=_cut(a.mime_type, _length(_ATTACHMENT.mime_type)),
    )


def prepare(event: InboundMessage, limits: TextLimits) -> tuple[InboundMessage, dict[str, int]]:
    """The storable event, and the original length of every free-text field it cut."""
    clean = storable_event(event)
    limit = limits.for_channel(clean.channel)
    truncated = {
        name: len(value)
        for name, value in (
            ("text", clean.text),
            ("subject", clean.subject),
            ("postback_payload", clean.postback_payload),
        )
        if value is not None and len(value) > limit
    }
    fitted = replace(
        clean,
        text=clean.text[:limit],
        subject=_cut(clean.subject, limit),
        postback_payload=_cut(clean.postback_payload, limit),
        profile=fit_profile(clean.profile) if clean.profile is not None else None,
        attachments=tuple(_fit_attachment(a) for a in clean.attachments),
    )
    return fitted, truncated


def id_problem(event: InboundMessage) -> str | None:
    """Why the event cannot be stored (an id longer than its column), in Vietnamese."""
    if event.kind == EventKind.UNKNOWN:
        return None  # nothing of it is stored
    checks = [("mã tin nhắn", event.channel_message_id, MESSAGE_ID_MAX)]
    if event.kind in _WITH_IDENTITY:
        checks.append(("mã người dùng", event.external_user_id, EXTERNAL_ID_MAX))
    for what, value, limit in checks:
        if value is not None and len(value) > limit:
            return (
                f"Kênh {event.channel}: {what} dài {len(value)} ký tự, vượt giới hạn {limit} ký tự; "
                "sự kiện không vào hội thoại, đã được giữ lại để cán bộ xem xét"
            )
    return None


def is_bad_data(err: BaseException) -> bool:
    """The database refused this event's data (a redelivery would fail the same way), as
    opposed to a database that is down, busy or restarting."""
    current: BaseException | None = err
    for _ in range(8):
        if current is None:
            return False
        if isinstance(current, DataError | IntegrityError | ValueError):
            return True  # ValueError: UnicodeError, asyncpg's "invalid input for argument"
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(code, str) and code[:2] in {"22", "23"}:  # data exception, constraint
            return True
        orig = current.orig if isinstance(current, DBAPIError) else None
        current = orig or current.__cause__ or current.__context__
    return False


# --------------------------------------------------------------------------- kept failures


def failure_body(event: InboundMessage) -> bytes:
    """What an operator needs to act on a refused event: the vendor's own event and what
    the hub read from it (e-mail keeps the message in the latter)."""
    parsed = {
        "kind": event.kind.value,
        "raw_type": event.raw_type,
        "external_user_id": event.external_user_id,
        "channel_message_id": event.channel_message_id,
        "text": event.text,
        "subject": event.subject,
        "postback_payload": event.postback_payload,
        "sent_at": event.sent_at.isoformat() if event.sent_at else None,
        "attachments": [
            {"kind": a.kind, "url": a.url, "name": a.name, "size": a.size, "meta": dict(a.meta)}
            for a in event.attachments
        ],
    }
    record = {"channel": event.channel, "raw": dict(event.raw), "event": parsed}
    # lone surrogates become JSON escapes (\udXXX): the body is valid UTF-8 JSON
    return json.dumps(record, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace")


async def record_failure(
    session_maker: SessionMaker,
    channel: str,
    error: str,
    body: bytes,
    headers: Mapping[str, str] | None,
    now: datetime,
) -> None:
    """Keep a delivery or an event we could not store; a redelivery of it is kept once."""
    error = storable(error)
    async with session_maker() as s, s.begin():
        known = await s.execute(
            select(WebhookFailure.id)
            .where(
                WebhookFailure.channel == channel, WebhookFailure.error == error, WebhookFailure.body == body
            )
            .limit(1)
        )
        if known.scalar_one_or_none() is not None:
            return
        s.add(
            WebhookFailure(
                channel=channel,
                error=error,
                headers=storable_value(dict(headers)) if headers is not None else None,
                body=body,
                received_at=now,
            )
        )


# --------------------------------------------------------------------------- a delivery


CONFLICT_ATTEMPTS = 3  # a deadlock the database broke is retried (the event is stored once)


async def _ingest_retrying(
    session_maker: SessionMaker,
    event: InboundMessage,
    clock: Clock,
    extra: Mapping[str, object] | None,
    greeting: GreetingSource | None,
    capabilities: Mapping[str, Capabilities] | None,
) -> IngestResult:
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return await ingest_one(
                session_maker, event, clock, extra_meta=extra, greeting=greeting, capabilities=capabilities
            )
        except Exception as err:
            if attempt == CONFLICT_ATTEMPTS or not is_lock_conflict(err):
                raise
            log.warning("storing a %s event met a lock conflict; trying again", event.channel)
    raise AssertionError("unreachable")


async def _ingest_checked(
    session_maker: SessionMaker,
    event: InboundMessage,
    clock: Clock,
    limits: TextLimits,
    headers: Mapping[str, str] | None,
    greeting: GreetingSource | None = None,
    capabilities: Mapping[str, Capabilities] | None = None,
) -> IngestResult:
    ready, truncated = prepare(event, limits)
    problem = ready.error or id_problem(ready)
    if problem is None:
        try:
            extra = {"truncated": truncated} if truncated else None
            return await _ingest_retrying(session_maker, ready, clock, extra, greeting, capabilities)
        except Exception as err:
            if not is_bad_data(err):
                raise
            log.exception("the database refused a %s event; it is kept in webhook_failures", event.channel)
            reason = f"{type(err).__name__}: {err}"[:300]
            problem = f"Kênh {event.channel}: cơ sở dữ liệu không nhận sự kiện ({reason})"
    log.warning("%s", problem)
    await record_failure(session_maker, event.channel, problem, failure_body(event), headers, clock.now())
    return IngestResult(event.kind, error=problem)


async def ingest(
    session_maker: SessionMaker,
    events: Sequence[InboundMessage],
    clock: Clock,
    *,
    limits: TextLimits | None = None,
    headers: Mapping[str, str] | None = None,
    greeting: GreetingSource | None = None,
    capabilities: Mapping[str, Capabilities] | None = None,
) -> list[IngestResult]:
    """Store every event of one delivery, in order: each is stored (or found a duplicate) or
    kept in ``webhook_failures`` with ``error`` set. Raises only when the database is not
    usable right now (the caller answers 5xx; storage is idempotent, so the redelivery is
    safe). ``headers``: the delivery's HTTP headers, kept with a failure. ``greeting``: what
    a new follower is told. ``capabilities``: the channels' by name (threading, ids that are
    e-mail addresses; :func:`storage.record.ingest.ingest_one`)."""
    chosen = limits or TextLimits()
    return [
        await _ingest_checked(session_maker, e, clock, chosen, headers, greeting, capabilities)
        for e in events
    ]
