"""The console's integrations page (admin): API tokens, outbound webhooks and their
delivery log (issue 17)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.hub import Hub


def setup(console: web.Application, hub: Hub) -> None:
    """Add the integrations' routes to the console's application."""
