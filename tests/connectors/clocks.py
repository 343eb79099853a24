"""A clock connector tests move by hand (seconds since the epoch, as ``ConnectorContext.clock``)."""

from __future__ import annotations


class MovableClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
