"""``HUB_FAQ_PATH``: the FAQ a hub starts with when it has none yet."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bot.faq_store import VersionInfo, import_entries_by_agency
from faq.importer import load_entries
from storage.clock import Clock
from storage.models_faq import FaqVersion
from storage.record.state import HubStateStore
from storage.session import SessionMaker


async def seed_if_empty(sm: SessionMaker, clock: Clock, path: str | Path) -> list[VersionInfo]:
    """Import and activate a spreadsheet (or folder) when the hub has no FAQ version at all
    yet — a convenient first start; later updates go through import. Several processes
    starting together: one imports (under a database lease), the others find it done."""
    async with HubStateStore(sm, clock, prefix="faq").lock("seed", timeout=600.0) as held:
        if not held:
            raise TimeoutError("another hub process has been importing HUB_FAQ_PATH for 10 minutes")
        async with sm() as s:
            if (await s.execute(select(func.count()).select_from(FaqVersion))).scalar_one():
                return []
        entries = await asyncio.to_thread(load_entries, Path(path))
        return await import_entries_by_agency(
            sm, clock, entries, None, activate=True, source_name=str(path), created_by="HUB_FAQ_PATH"
        )
