"""storage.session.uncut: a caller may stop waiting for a transaction (a time limit, a
cancelled keeper), but the transaction is never cut short, so no connection is left holding
SQLite's write lock ("database is locked" for everyone after)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storage.models import ChannelState
from storage.session import SessionMaker, uncut


async def _write_after(sm: SessionMaker, key: str, go: asyncio.Event) -> str:
    async with sm() as s, s.begin():  # the write lock is taken at BEGIN (SQLite: IMMEDIATE)
        await go.wait()
        s.add(ChannelState(key=key, value="v", updated_at=datetime.now(UTC)))
    return key


async def _stored(sm: SessionMaker, key: str) -> bool:
    async with sm() as s, s.begin():  # fails with "database is locked" if a lock leaked
        return (await s.execute(select(ChannelState).where(ChannelState.key == key))).first() is not None


async def test_a_timed_out_transaction_still_commits(sm: SessionMaker) -> None:
    go = asyncio.Event()
    work = _write_after(sm, "late", go)
    with pytest.raises(TimeoutError):
        await uncut(work, timeout=0.05)
    go.set()
    for _ in range(200):  # the transaction ends on its own
        if await _stored(sm, "late"):
            break
        await asyncio.sleep(0.01)
    assert await _stored(sm, "late")


async def test_a_cancelled_caller_does_not_cancel_the_transaction(sm: SessionMaker) -> None:
    go = asyncio.Event()
    caller = asyncio.create_task(uncut(_write_after(sm, "kept", go), timeout=30))
    await asyncio.sleep(0.05)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    go.set()
    for _ in range(200):
        if await _stored(sm, "kept"):
            break
        await asyncio.sleep(0.01)
    assert await _stored(sm, "kept")


async def test_the_result_comes_back_within_the_limit(sm: SessionMaker) -> None:
    go = asyncio.Event()
    go.set()
    assert await uncut(_write_after(sm, "now", go), timeout=30) == "now"


async def test_a_caller_cancelled_as_the_work_ends_is_still_cancelled() -> None:
    """The race behind a lease keeper that never stopped (CI, issue 16): the caller is
    cancelled in the same turn of the loop as the work ends. ``asyncio.wait_for`` on Python
    3.11 returned the result and lost the cancellation; the caller must see it."""
    for turns in range(8):  # the cancellation lands after 0, 1, … turns of the loop
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def work(done: asyncio.Future[str] = done) -> str:
            return await done

        caller = asyncio.create_task(uncut(work(), timeout=5))
        for _ in range(3):
            await asyncio.sleep(0)  # the caller waits inside uncut
        done.set_result("committed")
        for _ in range(turns):
            await asyncio.sleep(0)
        if caller.done():  # the caller already had its answer: nothing to cancel
            continue
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
