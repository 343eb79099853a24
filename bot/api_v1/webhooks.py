"""``/api/v1/webhooks``: other apps manage their webhook subscriptions (scope
``webhooks:manage``) (issue 17)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

OPENAPI_PATHS: dict[str, Any] = {}  # merged into /api/openapi.json by bot.api_v1


def add_routes(api: web.UrlDispatcher, prefix: str) -> None:
    """Add the routes under ``prefix`` (``/api/v1``)."""
