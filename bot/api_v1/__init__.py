"""The integration API ``/api/v1`` for the province's other apps (issue 17): Bearer API
tokens, tickets, published answers, FAQ search, outbound webhooks' management."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.hub import Hub


def setup(app: web.Application, hub: Hub) -> None:
    """Mount ``/api/v1`` on the hub's application (being built)."""
