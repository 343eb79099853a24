"""Opt-out is recorded once per identity, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from campaigns.opt_out import is_opted_out, opt_back_in, opt_out
from storage.record.ingest import identity_for

NOW = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)


async def test_opt_out_is_recorded_once(sm: Any) -> None:
    async with sm() as s, s.begin():
        identity, _ = await identity_for(s, "zalo", "u-1", NOW)
        other, _ = await identity_for(s, "zalo", "u-2", NOW)
        assert not await is_opted_out(s, identity.id)
        assert await opt_out(s, identity.id, NOW) is True
    async with sm() as s, s.begin():
        assert await opt_out(s, identity.id, NOW) is False  # already
        assert await is_opted_out(s, identity.id)
        assert not await is_opted_out(s, other.id)
        assert await opt_back_in(s, identity.id) is True
    async with sm() as s:
        assert not await is_opted_out(s, identity.id)
