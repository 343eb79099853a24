"""The integration API ``/api/v1`` for the province's other apps (issue 17): Bearer API
tokens, tickets, published answers, FAQ search, outbound webhooks' management.

| route | scope |
|---|---|
| ``POST /api/v1/tickets`` (header ``Idempotency-Key``) | ``tickets:create`` |
| ``GET /api/v1/tickets/{code}`` | ``tickets:read`` |
| ``GET /api/v1/answers?q=&domain=&agency=&page=&per_page=`` | ``answers:read`` |
| ``GET /api/v1/faq?q=&limit=`` | ``faq:read`` |
| ``/api/v1/webhooks…`` (:mod:`bot.api_v1.webhooks`) | ``webhooks:manage`` |

Every error is JSON ``{"error": {"code", "message"}}`` with a Vietnamese message. See
``docs/api.md``; the OpenAPI document (:mod:`bot.api_v1.openapi`) is part of
``/api/openapi.json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.api_v1 import openapi, reads, tickets, webhooks
from bot.api_v1.common import PREFIX, json_errors

if TYPE_CHECKING:
    from bot.hub import Hub


def setup(app: web.Application, hub: Hub) -> None:
    """Mount ``/api/v1`` on the hub's application (being built)."""
    app.middlewares.append(json_errors)
    tickets.add_routes(app.router, PREFIX)
    reads.add_routes(app.router, PREFIX)
    webhooks.add_routes(app.router, PREFIX)


def openapi_document(spec: dict[str, Any]) -> dict[str, Any]:
    """The hub's OpenAPI document ``spec`` with all of ``/api/v1`` in it."""
    return openapi.merge(spec, webhooks.OPENAPI_PATHS)
