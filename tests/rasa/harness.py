"""A real Rasa stack for tests: the trained model in a ``rasa run`` process, and the
custom actions served in-process by ``actions.server`` with in-memory hub services.

Both run on an event loop in a background thread, so session-scoped fixtures can share
one Rasa process (start-up ~10-25 s) while each test uses its own loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from actions.server import make_action_handler
from bot import rasa_process
from bot.rasa_process import ModelInfo, RasaProcess, RasaSetupError
from devtools.memory_services import MemoryHubServices
from devtools.net import free_port

T = TypeVar("T")


def require_rasa_venv() -> None:
    """Create the Rasa venv if missing; never skip (a missing venv under CI is a failure)."""
    if rasa_process.rasa_executable().exists():
        return
    try:
        rasa_process.ensure_venv()
    except RasaSetupError as err:
        pytest.fail(f"the Rasa virtualenv .venv-rasa is missing and could not be created: {err}")


def trained_model() -> ModelInfo:
    require_rasa_venv()
    try:
        return rasa_process.train_if_needed()
    except RasaSetupError as err:
        pytest.fail(f"Rasa training failed: {err}")


class RasaStack:
    def __init__(self, workdir: Path, model: Path, services: MemoryHubServices | None = None) -> None:
        self.workdir = workdir
        self.model = model
        self.services = services or MemoryHubServices()
        self.action_port = free_port()
        self.rasa_port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="rasa-stack", daemon=True)
        self.runner: web.AppRunner | None = None
        self.process = RasaProcess(
            model,
            port=self.rasa_port,
            extra_env={
                "HUB_PORT": str(self.action_port),
                "RASA_TRACKER_DIALECT": "sqlite",
                "RASA_TRACKER_DB": str(workdir / "tracker.db"),
                "RASA_LOCK_STORE": "in_memory",
            },
            run_dir=workdir,
            log_path=workdir / "rasa.log",
        )
        self.action_calls: list[str] = []

    @property
    def rasa_url(self) -> str:
        return self.process.url

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 400.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    async def _start(self) -> None:
        handler = make_action_handler(self.services)

        async def recording(request: web.Request) -> web.StreamResponse:
            body = await request.json()
            self.action_calls.append(str(body.get("next_action")))
            return await handler(request)

        app = web.Application()
        app.router.add_post("/rasa/actions", recording)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.action_port).start()
        await self.process.start(ready_timeout=300)

    async def _stop(self) -> None:
        await self.process.stop()
        if self.runner is not None:
            await self.runner.cleanup()

    def start(self) -> RasaStack:
        self.thread.start()
        try:
            self.call(self._start())
        except Exception:
            log = self.workdir / "rasa.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
            self.stop()
            raise RuntimeError(f"Rasa stack did not start; log tail:\n{tail}") from None
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.call(self._stop(), timeout=60)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


def ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
