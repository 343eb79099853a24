"""The console's view of everything held about one contact: the copy export (JSON, .xlsx,
PDF) and the access log "who looked at this citizen's data" (issue 18)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.hub import Hub


def setup(console: web.Application, hub: Hub) -> None:
    """Add the routes to the console's application."""
