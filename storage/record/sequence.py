"""A conversation's message sequence: ``seq`` numbers are taken here, one at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation


async def next_seq(session: AsyncSession, conversation_id: int, now: datetime) -> int:
    """Take the conversation's next sequence number (row-locks it until commit)."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1, updated_at=now)
        .returning(Conversation.last_seq)
    )
    return int(result.scalar_one())
