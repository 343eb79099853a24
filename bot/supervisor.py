"""``serve --workers N``: a parent that starts N identical child processes, restarts a child
that dies (waiting longer each time one dies young, up to ``max_backoff``), and on SIGTERM
or SIGINT stops them all (SIGTERM, then SIGKILL after ``grace`` seconds).

Web children share one port (each binds it with SO_REUSEPORT; the kernel spreads the
connections), so a dead child's connections go to its siblings until it is back.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger(__name__)


@dataclass
class Slot:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = 0.0
    restart_at: float | None = None
    restarts: int = 0


@dataclass
class Supervisor:
    command: Sequence[str]
    count: int
    env: dict[str, str] | None = None
    min_uptime: float = 10.0  # a child that dies sooner is restarted after a growing wait
    first_backoff: float = 0.5
    max_backoff: float = 30.0
    grace: float = 20.0
    poll: float = 0.2
    clock: Callable[[], float] = time.monotonic
    slots: list[Slot] = field(default_factory=list)
    stopping: bool = False

    def run(self) -> int:
        """Until a stop signal: keep ``count`` children running. Returns the exit status."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.slots = [Slot(i) for i in range(self.count)]
            for slot in self.slots:
                self._start(slot)
            while not self.stopping:
                self._reap_and_restart()
                time.sleep(self.poll)
        finally:
            self._stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _start(self, slot: Slot) -> None:
        env = {**(self.env if self.env is not None else os.environ), "HUB_CHILD_INDEX": str(slot.index)}
        slot.proc = subprocess.Popen(list(self.command), env=env)
        slot.started, slot.restart_at = self.clock(), None
        log.info("tiến trình con %d đã chạy (pid %d)", slot.index, slot.proc.pid)

    def _reap_and_restart(self) -> None:
        now = self.clock()
        for slot in self.slots:
            proc = slot.proc
            if proc is not None and (code := proc.poll()) is not None:
                slot.proc = None
                lived = now - slot.started
                young = lived < self.min_uptime
                slot.backoff = min(self.max_backoff, slot.backoff * 2 or self.first_backoff) if young else 0.0
                slot.restart_at = now + slot.backoff
                log.warning(
                    "tiến trình con %d (pid %d) đã dừng với mã %s sau %.1f s; chạy lại sau %.1f s",
                    slot.index,
                    proc.pid,
                    code,
                    lived,
                    slot.backoff,
                )
            if slot.proc is None and slot.restart_at is not None and now >= slot.restart_at:
                slot.restarts += 1
                self._start(slot)

    def _stop_all(self) -> None:
        running = [s.proc for s in self.slots if s.proc is not None and s.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = self.clock() + self.grace
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                log.warning("tiến trình con pid %d không dừng sau %.0f s: buộc dừng", proc.pid, self.grace)
                proc.kill()
                proc.wait()
        log.info("đã dừng %d tiến trình con", len(running))
