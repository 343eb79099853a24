"""Where the answer to a data request goes: the conversation it came from (through the
outbox, like an operator's reply), or for a web-form request the e-mail channel's
conversation of the address on record when there is one; else nowhere (the public form's
status lookup shows it). Also sends the form's one-time code by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import SenderRole
from storage.models import ChannelIdentity, Conversation, ConversationState, Message
from storage.models_privacy import DataRequest
from storage.record.conversations import open_conversation
from storage.record.outbound import add_reply
from storage.record.threads import current_conversation


async def email_identity(s: AsyncSession, channel: str, address: str) -> ChannelIdentity | None:
    """The identity of ``address`` on the e-mail channel ``channel`` (the citizen wrote
    from it before), case-insensitively."""
    q = (
        select(ChannelIdentity)
        .where(ChannelIdentity.channel == channel, func.lower(ChannelIdentity.external_id) == address.lower())
        .order_by(ChannelIdentity.id)
        .limit(1)
    )
    return (await s.execute(q)).scalar_one_or_none()


async def _open(s: AsyncSession, identity: ChannelIdentity, now: datetime) -> Conversation:
    locked = await s.get(ChannelIdentity, identity.id, with_for_update=True)
    assert locked is not None
    return await current_conversation(s, locked, now)


async def answer_conversation(
    s: AsyncSession, req: DataRequest, now: datetime, email_channel: str | None
) -> Conversation | None:
    if req.conversation_id is not None:
        conv = await s.get(Conversation, req.conversation_id)
        if conv is None:
            return None
        if conv.state != ConversationState.CLOSED.value:
            return conv
        identity = await s.get(ChannelIdentity, conv.identity_id)
        return None if identity is None else await _open(s, identity, now)
    if req.email and email_channel:
        identity = await email_identity(s, email_channel, req.email)
        if identity is not None and identity.contact_id == req.contact_id:
            return await _open(s, identity, now)
    return None


async def deliver(
    s: AsyncSession,
    req: DataRequest,
    text: str,
    now: datetime,
    *,
    email_channel: str | None,
    user_id: int | None,
    meta: dict[str, object] | None = None,
) -> Message | None:
    """The answer to the citizen, queued in the outbox (None: no channel to send it on)."""
    conv = await answer_conversation(s, req, now, email_channel)
    if conv is None:
        return None
    conv.updated_at = now
    return await add_reply(s, conv, text, now, role=SenderRole.OPERATOR, user_id=user_id, meta=meta)


async def send_code(s: AsyncSession, identity: ChannelIdentity, text: str, now: datetime) -> Message:
    """The code in a conversation of its own: a mail the citizen asked for on the form, not
    an automatic reply to their mail (which a channel may limit to one a day, RFC 3834)."""
    conv = await open_conversation(s, identity, identity.channel, now)
    return await add_reply(s, conv, text, now, role=SenderRole.SYSTEM, meta={"act": "data_request_code"})
