"""The ``Hub``: everything a request handler or a worker needs, built once per application by
``bot.app.create_app`` and never changed after; ``HUB`` is its application key, and
:func:`hub_of` finds it from any request, in the main application or a sub-application."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.events import EventBus
from bot.faq_store import FaqIndex
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.relay import Relay
from bot.roles import publish_wake, runs_workers, wake_event
from connectors.registry import ConnectorRegistry
from storage.clock import Clock
from storage.session import SessionMaker

log = logging.getLogger(__name__)


@dataclass
class Hub:
    """Everything a request handler or worker needs, built once per app."""

    settings: Settings
    clock: Clock
    sm: SessionMaker
    db: Any  # AsyncEngine
    http: aiohttp.ClientSession
    bus: EventBus
    metrics: Metrics
    registry: ConnectorRegistry
    pipeline: Pipeline
    relay: Relay
    faq: FaqIndex
    redis: Any = None
    role: str = "all"  # bot.roles: what this process runs
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    started_at: float = field(default_factory=time.monotonic)

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """A tracked background task: cancelled at shutdown, errors logged."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def wake_conversation(self, conversation_id: int) -> None:
        """A stored message needs an answer: this process's pipeline, or (a web process) the
        workers through the bus."""
        if runs_workers(self.role):
            self.pipeline.notify(conversation_id)
        else:
            self.spawn(publish_wake(self.bus, wake_event(conversation_id)))

    def wake_outbox(self) -> None:
        """Something was queued to send: this process's relay, or the workers'."""
        if runs_workers(self.role):
            self.relay.notify()
        else:
            self.spawn(publish_wake(self.bus, wake_event()))

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("background task failed", exc_info=exc)


HUB = web.AppKey("hub", Hub)


def hub_of(request: web.Request) -> Hub:
    """The hub of the application serving ``request`` (looked up through parent applications)."""
    return request.config_dict[HUB]
