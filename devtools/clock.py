"""A clock tests move by hand instead of waiting.

One fake for both kinds of clock the hub takes: called, it returns seconds since the epoch
(``ConnectorContext.clock``, the simulators' and ``RasaProcess``'s ``clock``); ``now()``
returns the same instant as an aware datetime (the :class:`storage.clock.Clock` protocol).
``sleep`` is an async sleep that moves the time instead of waiting (pass it where code takes
a ``sleep``), and records what was asked for in ``sleeps``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


class FakeClock:
    def __init__(self, start: float | None = None, *, pause: float = 0.0) -> None:
        """``start``: seconds since the epoch (default: the real time now). ``pause``: real
        seconds each :meth:`sleep` gives the event loop, so that other tasks run (0: none)."""
        self.seconds = time.time() if start is None else start
        self.pause = pause
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.seconds, UTC)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.seconds += seconds
        if self.pause:
            await asyncio.sleep(self.pause)
