"""The console's breach register (supervisor, admin) (issue 18)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.hub import Hub


def setup(app: web.Application, hub: Hub) -> None:
    """Add the routes to ``app``."""
