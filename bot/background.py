"""Background work of a worker process beyond the pipeline and the relay: campaigns'
sending and outbound webhooks' delivery (issue 17), retention and breach reminders (issue
18). Each is a ``cleanup_ctx``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

WorkerContext = Callable[[web.Application], AsyncIterator[None]]


def worker_contexts() -> list[WorkerContext]:
    """The contexts ``bot.app`` starts in processes that run workers."""
    from bot import breach_worker, campaign_worker, retention_worker, webhook_worker

    return [
        campaign_worker.worker_ctx,
        webhook_worker.worker_ctx,
        retention_worker.worker_ctx,
        breach_worker.worker_ctx,
    ]
