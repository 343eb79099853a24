"""Graceful stop for background loops: a loop never gets cancelled in the middle of a
database transaction; it finishes the unit of work at hand and then returns."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class Stopper:
    def __init__(self) -> None:
        self.event = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self.event.is_set()

    def stop(self) -> None:
        self.event.set()

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), seconds)

    async def race(self, awaitable: Awaitable[T]) -> T | None:
        """Await ``awaitable`` unless a stop comes first (then it is cancelled: only use
        this for waits that hold no resources, like a queue get)."""
        task = asyncio.ensure_future(awaitable)
        stop = asyncio.create_task(self.event.wait())
        try:
            done, _ = await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None


async def stop_gracefully(tasks: list[asyncio.Task[object]], timeout: float = 15.0) -> None:
    """Wait for loops that were told to stop; cancel what is still running after ``timeout``."""
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
