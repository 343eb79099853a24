"""E-mail channel (1022@…): IMAP in (IDLE or polling), SMTP out. See docs/email.md.

``create(ctx)`` builds the connector from the ``email`` section of ``credentials.yml``;
the hub then calls ``await connector.start(deliver)`` on every worker (only one of them
polls the mailbox, by lock) and ``await connector.send(outbound)`` from its outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from connectors.base import (
    Capabilities,
    Connector,
    Deliver,
    InboundMessage,
    OutboundMessage,
    PermanentSendError,
    SenderRole,
    SendResult,
)
from connectors.email.autoreply import AUTO_REPLY_WINDOW, auto_generated_reason, limiter_key, may_auto_reply
from connectors.email.imap_poller import ImapPoller, Sleep, backoff_delay
from connectors.email.mime import parse_email
from connectors.email.parts import MimeLimits
from connectors.email.settings import EmailSettings, load
from connectors.email.smtp_sender import SmtpSender, build_message, outbound_message_id
from connectors.email.text import html_to_text
from connectors.email.threading import reply_subject, strip_reply_prefixes, ticket_code_from_subject
from connectors.registry import ConnectorContext

__all__ = [
    "EmailConnector",
    "EmailSettings",
    "ImapPoller",
    "MimeLimits",
    "SmtpSender",
    "auto_generated_reason",
    "backoff_delay",
    "build_message",
    "create",
    "html_to_text",
    "limiter_key",
    "may_auto_reply",
    "outbound_message_id",
    "parse_email",
    "reply_subject",
    "strip_reply_prefixes",
    "ticket_code_from_subject",
]

log = logging.getLogger(__name__)

# the last automatic reply to a sender in a conversation matters for one window (a day);
# kept two, so a clock a little off never forgets it early
AUTO_REPLY_KEPT = 2 * AUTO_REPLY_WINDOW.total_seconds()


class EmailConnector(Connector):
    name: ClassVar[str] = "email"
    # no buttons (suggestions stay numbered text); threads by reply headers and subject; the
    # sender is known by their address
    capabilities: ClassVar[Capabilities] = Capabilities(
        threaded=True, sender_is_email_address=True, one_reply_per_turn=True
    )

    def __init__(
        self,
        settings: EmailSettings,
        ctx: ConnectorContext,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.ctx = ctx
        self.sender = SmtpSender(settings, ctx.clock)
        self.poller = ImapPoller(settings, ctx.state, self.parse_one, clock=ctx.clock, sleep=sleep, rng=rng)
        self._task: asyncio.Task[None] | None = None

    def parse_one(self, raw: bytes) -> InboundMessage:
        """One raw e-mail → one message (:func:`parse_email` with this mailbox's settings)."""
        return parse_email(raw, own_addresses=(self.settings.address,), limits=self.settings.limits)

    def parse(self, raw: bytes) -> list[InboundMessage]:
        return [self.parse_one(raw)]

    async def send(self, message: OutboundMessage) -> SendResult:
        """Automatic replies (bot, system) go out at most once a day per sender and
        conversation (RFC 3834 §2); people's replies always go out."""
        automatic = message.sender_role in (SenderRole.BOT, SenderRole.SYSTEM)
        key = limiter_key(message.external_user_id, message.conversation_id)
        now = datetime.fromtimestamp(self.ctx.clock(), UTC)
        if automatic:
            stored = (await self.ctx.state.get(key) or "").split("|")
            last = datetime.fromisoformat(stored[0]) if stored[0] else None
            retry = len(stored) > 1 and stored[1] == str(message.message_id)  # the same reply again
            if not retry and not may_auto_reply(message.external_user_id, message.conversation_id, last, now):
                raise PermanentSendError(
                    "Không gửi: đã có một thư trả lời tự động cho người này trong 24 giờ qua (RFC 3834)"
                )
        result = await self.sender.send(message)
        if automatic:
            await self.ctx.state.set(key, f"{now.isoformat()}|{message.message_id}", ttl=AUTO_REPLY_KEPT)
        return result

    async def start(self, deliver: Deliver) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(
                self.poller.run(deliver), name=f"email-poller:{self.settings.mailbox_key}"
            )

    async def stop(self) -> None:
        self.poller.stop()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.poller.disconnect()


def create(ctx: ConnectorContext) -> EmailConnector:
    """Raises :class:`ChannelNotConfigured` (Vietnamese reason naming the missing
    ``EMAIL_*`` variables) when the section is incomplete."""
    return EmailConnector(load(ctx.settings), ctx)
