"""When a test runs far longer than any test should, print what its asyncio tasks are
waiting on (pytest-timeout, set in pyproject.toml, fails it later; its own report shows
threads only). A timer thread signals the main thread, whose handler runs inside the event
loop's wait and reads the running loop's tasks."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

REPORT_AFTER = float(os.environ.get("HUB_TEST_HANG_REPORT", "240"))  # pytest-timeout fails at 480 s


def _task_stacks() -> str:
    loop = asyncio._get_running_loop()
    if loop is None:
        return "no running event loop\n"
    lines = []
    for task in asyncio.all_tasks(loop):
        lines.append(f"-- {task!r}")
        coro: Any = task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                lines.append(f"     {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return "\n".join(lines) + "\n"


def _report(signum: int, frame: FrameType | None) -> None:
    err = sys.__stderr__
    if err is None:
        return
    err.write(f"\n==== test still running after {REPORT_AFTER:.0f} s: asyncio tasks ====\n")
    err.write(_task_stacks())
    err.flush()


@contextmanager
def watch(name: str) -> Iterator[None]:
    """Report the running test's asyncio tasks if it is still running after REPORT_AFTER."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGUSR2"):
        yield
        return
    previous = signal.signal(signal.SIGUSR2, _report)
    timer = threading.Timer(REPORT_AFTER, os.kill, (os.getpid(), signal.SIGUSR2))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR2, previous)
