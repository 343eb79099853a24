"""Hold the active FAQ engine; build replacements off the event loop and swap atomically.

A query always runs against one complete engine: readers take the current reference once
(a single attribute read) and the engine is immutable, so a rebuild in progress is never
visible. Swapping is a single reference assignment under a lock that only writers take.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

from faq.engine import EngineConfig, FaqEngine
from faq.model import FaqDecision, FaqEntry

log = logging.getLogger(__name__)


class NoActiveFaq(RuntimeError):
    """No FAQ version is active yet."""


class IndexHolder:
    def __init__(self, engine: FaqEngine | None = None, version: str | None = None) -> None:
        self._current: tuple[FaqEngine, str | None] | None = (engine, version) if engine else None
        self._write_lock = threading.Lock()
        self._generation = 0  # last rebuild started
        self._installed = 0  # generation of the installed engine

    def _next_generation(self) -> int:
        with self._write_lock:
            self._generation += 1
            return self._generation

    def _install(self, engine: FaqEngine, version: str | None, generation: int) -> bool:
        """Install unless a newer rebuild (or swap) already installed its engine."""
        with self._write_lock:
            if generation < self._installed:
                return False
            self._installed = generation
            self._current = (engine, version)
            return True

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
        """Install a built engine now (activation or rollback to a kept engine)."""
        self._install(engine, version, self._next_generation())

    def rebuild(
        self, entries: Sequence[FaqEntry], version: str | None = None, config: EngineConfig | None = None
    ) -> FaqEngine:
        """Build (in the calling thread) then swap; queries keep using the old engine meanwhile."""
        generation = self._next_generation()
        engine = FaqEngine.build(entries, config)
        self._install(engine, version, generation)
        return engine

    async def rebuild_async(
        self,
        entries: Sequence[FaqEntry],
        version: str | None = None,
        config: EngineConfig | None = None,
        staged: bool = False,
        quick_config: EngineConfig | None = None,
    ) -> FaqEngine:
        """Build in a worker thread (off the event loop), then swap.

        ``staged``: first install a lexical-only engine (about a second per 1,000 entries,
        with its own tuned thresholds) so the new version answers within seconds, then the
        full engine once the new questions are embedded. A rebuild started later always wins
        over one started earlier, whichever finishes first.
        """
        cfg = config or EngineConfig()
        items = list(entries)
        generation = self._next_generation()
        if staged and cfg.use_semantic:
            quick_cfg = quick_config or EngineConfig.lexical_only()
            quick = await asyncio.to_thread(FaqEngine.build, items, quick_cfg)
            if self._install(quick, version, generation):
                log.info("FAQ %s: interim lexical index serving (%s entries)", version, len(items))
        engine = await asyncio.to_thread(FaqEngine.build, items, cfg)
        if self._install(engine, version, generation):
            log.info("FAQ %s: full index serving (%s entries)", version, len(items))
        return engine

    async def decide_async(self, text: str) -> FaqDecision:
        """Match in a worker thread: the semantic model and BM25 are CPU-bound."""
        engine = self.engine
        return await asyncio.to_thread(engine.decide, text)
