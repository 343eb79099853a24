"""The console's outbound webhooks (admin): endpoints, delivery log (issue 17)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.hub import Hub


def setup(console: web.Application, hub: Hub) -> None:
    """Add the webhooks' routes to the console's application."""
