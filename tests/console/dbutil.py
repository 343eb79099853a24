"""Helpers for console/workflow tests: a migrated, seeded database and its sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import select

from handoff.seed import load_seed, seed
from storage.migrate import upgrade
from storage.models import ChannelIdentity, Contact, Conversation, ConversationState
from storage.models_console import Agency
from storage.session import SessionMaker, create_engine, make_sessionmaker


@asynccontextmanager
async def migrated(url: str, now: datetime) -> AsyncIterator[SessionMaker]:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        sm = make_sessionmaker(engine)
        async with sm() as s, s.begin():
            await seed(s, load_seed({}), now)
        yield sm
    finally:
        await engine.dispose()


async def make_conversation(
    sm: SessionMaker, now: datetime, channel: str = "webchat", name: str = "Lê Văn A"
) -> int:
    async with sm() as s, s.begin():
        contact = Contact(display_name=name, created_at=now, updated_at=now)
        s.add(contact)
        await s.flush()
        ident = ChannelIdentity(
            contact_id=contact.id, channel=channel, external_id=f"x-{contact.id}", created_at=now
        )
        s.add(ident)
        await s.flush()
        conv = Conversation(
            contact_id=contact.id,
            identity_id=ident.id,
            channel=channel,
            state=ConversationState.WAITING_HUMAN.value,
            last_seq=0,
            waiting_since=now,
            handoff_reason="test",
            created_at=now,
            updated_at=now,
        )
        s.add(conv)
        await s.flush()
        return conv.id


async def agency_id(sm: SessionMaker, code: str) -> int:
    async with sm() as s:
        return int((await s.execute(select(Agency.id).where(Agency.code == code))).scalar_one())
