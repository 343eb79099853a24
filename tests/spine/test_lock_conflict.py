"""A deadlock PostgreSQL breaks by aborting one transaction is recognised as a lock
conflict (storing an inbound event then runs its transaction again); other errors are not."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage.record.state import is_lock_conflict
from storage.session import create_engine


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_real_deadlock_is_a_lock_conflict(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as c:
            await c.execute(text("CREATE TABLE t (id int primary key, v int)"))
            await c.execute(text("INSERT INTO t VALUES (1, 0), (2, 0)"))
        first_locked, second_locked = asyncio.Event(), asyncio.Event()

        async def lock(mine: int, other: int, got: asyncio.Event, wait: asyncio.Event) -> None:
            async with engine.begin() as c:
                await c.execute(text("UPDATE t SET v = v + 1 WHERE id = :i"), {"i": mine})
                got.set()
                await wait.wait()  # both hold one row: now each asks for the other's
                await c.execute(text("UPDATE t SET v = v + 1 WHERE id = :i"), {"i": other})

        results = await asyncio.gather(
            lock(1, 2, first_locked, second_locked),
            lock(2, 1, second_locked, first_locked),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], DBAPIError)
        assert is_lock_conflict(errors[0])
    finally:
        await engine.dispose()


def test_other_errors_are_no_lock_conflict() -> None:
    assert not is_lock_conflict(IntegrityError("INSERT", {}, Exception("unique")))
    assert not is_lock_conflict(OSError("connection refused"))
