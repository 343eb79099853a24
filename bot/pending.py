"""What the pipeline reads before asking the engine: a conversation's oldest unanswered
message, the conversation, the contact fields the hub knows, the bot's last reply's meta,
the dialogue state and whether this channel identity ever had a bot message before."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import SenderRole
from storage.models import ChannelIdentity, Contact, Conversation, Message


@dataclass
class Pending:
    """The oldest unanswered message of a conversation and what the engine needs with it."""

    msg: Message
    conv: Conversation
    profile: dict[str, object]
    external_id: str = ""
    last_bot_meta: Mapping[str, Any] = field(default_factory=dict)
    dialogue: Mapping[str, Any] = field(default_factory=dict)
    first_contact: bool = False


async def next_pending(s: AsyncSession, conv_id: int) -> Pending | None:
    msg = (
        await s.execute(
            select(Message)
            .where(Message.conversation_id == conv_id, Message.processed.is_(False))
            .order_by(Message.seq)
            .limit(1)
        )
    ).scalar_one_or_none()
    if msg is None:
        return None
    row = (
        await s.execute(
            select(Conversation, Contact, ChannelIdentity)
            .outerjoin(Contact, Contact.id == Conversation.contact_id)
            .outerjoin(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
            .where(Conversation.id == conv_id)
        )
    ).one()
    conv, contact, identity = row
    last_bot = (
        await s.execute(
            select(Message.id, Message.meta)
            .where(Message.conversation_id == conv_id, Message.sender_role == SenderRole.BOT.value)
            .order_by(Message.seq.desc())
            .limit(1)
        )
    ).first()
    meta = last_bot.meta if last_bot is not None else None
    return Pending(
        msg,
        conv,
        _profile(contact, identity),
        external_id=identity.external_id if identity is not None else "",
        last_bot_meta=meta if isinstance(meta, dict) else {},
        dialogue=dict(conv.dialogue or {}),
        # a bot message in this conversation already says it is not the first contact
        first_contact=last_bot is None and await _first_contact(s, conv),
    )


async def has_pending(s: AsyncSession, conv_id: int) -> bool:
    """Whether the conversation has a message the pipeline has not answered."""
    found = await s.execute(
        select(Message.id).where(Message.conversation_id == conv_id, Message.processed.is_(False)).limit(1)
    )
    return found.first() is not None


async def _first_contact(s: AsyncSession, conv: Conversation) -> bool:
    """True when this channel identity never had a bot message (a reply or a greeting)."""
    seen = (
        await s.execute(
            select(Message.id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.identity_id == conv.identity_id, Message.sender_role == SenderRole.BOT.value)
            .limit(1)
        )
    ).scalar_one_or_none()
    return seen is None


def _profile(contact: Contact | None, identity: ChannelIdentity | None) -> dict[str, object]:
    out: dict[str, object] = {}
    if contact is not None:
        for key in ("full_name", "phone", "address", "email", "display_name"):
            if (value := getattr(contact, key)) is not None:
                out[key] = value
    if identity is not None and identity.display_name and "display_name" not in out:
        out["display_name"] = identity.display_name
    return out
