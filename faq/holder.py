"""Hold the active FAQ engine; build replacements off the event loop and swap atomically.

A query always runs against one complete engine: readers take the current reference once
(a single attribute read) and the engine is immutable, so a rebuild in progress is never
visible. Swapping is a single reference assignment under a lock that only writers take.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from faq.engine import EngineConfig, FaqEngine
from faq.model import FaqDecision, FaqEntry


class NoActiveFaq(RuntimeError):
    """No FAQ version is active yet."""


class IndexHolder:
    def __init__(self, engine: FaqEngine | None = None, version: str | None = None) -> None:
        self._current: tuple[FaqEngine, str | None] | None = (engine, version) if engine else None
        self._write_lock = threading.Lock()

    @property
    def engine(self) -> FaqEngine:
        current = self._current
        if current is None:
            raise NoActiveFaq("Chưa có bộ câu hỏi nào được kích hoạt")
        return current[0]

    @property
    def version(self) -> str | None:
        current = self._current
        return current[1] if current else None

    def decide(self, text: str) -> FaqDecision:
        return self.engine.decide(text)

    def swap(self, engine: FaqEngine, version: str | None = None) -> None:
        with self._write_lock:
            self._current = (engine, version)

    def rebuild(
        self, entries: Sequence[FaqEntry], version: str | None = None, config: EngineConfig | None = None
    ) -> FaqEngine:
        """Build (in the calling thread) then swap; queries keep using the old engine meanwhile."""
        engine = FaqEngine.build(entries, config)
        self.swap(engine, version)
        return engine

    async def rebuild_async(
        self, entries: Sequence[FaqEntry], version: str | None = None, config: EngineConfig | None = None
    ) -> FaqEngine:
        """Build in a worker thread (off the event loop), then swap."""
        engine = await asyncio.to_thread(FaqEngine.build, list(entries), config)
        self.swap(engine, version)
        return engine

    async def decide_async(self, text: str) -> FaqDecision:
        """Match in a worker thread: the semantic model and BM25 are CPU-bound."""
        engine = self.engine
        return await asyncio.to_thread(engine.decide, text)
