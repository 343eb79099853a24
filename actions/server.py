"""aiohttp handler serving Rasa's action-server protocol inside the hub.

The hub mounts it (loopback only; Rasa is the only caller)::

    from actions.server import make_action_handler
    app.router.add_post("/rasa/actions", make_action_handler(services))

Errors use the shapes Rasa 3.6 understands: 404 ``{"error", "action_name"}`` for an
unknown action, 400 for a rejected action or a malformed body, 500 if an action crashed
(Rasa then logs the failure and the turn ends without that action's messages).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from actions.executor import ActionExecutor, ActionNotFound, BadActionRequest
from actions.sdk import ActionExecutionRejection
from actions.services import HubServices

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_action_handler(services: HubServices, executor: ActionExecutor | None = None) -> Handler:
    runner = executor or ActionExecutor.for_services(services)

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            return web.json_response({"error": f"body is not JSON: {err}", "action_name": None}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "body must be a JSON object", "action_name": None}, status=400)
        name = payload.get("next_action")
        try:
            result = await runner.run(payload)
        except ActionNotFound as err:
            return web.json_response({"error": str(err), "action_name": err.action_name}, status=404)
        except ActionExecutionRejection as err:
            return web.json_response({"error": err.message, "action_name": err.action_name}, status=400)
        except BadActionRequest as err:
            return web.json_response({"error": str(err), "action_name": name}, status=400)
        except Exception:
            logger.exception("action %s failed", name)
            return web.json_response({"error": "action failed", "action_name": name}, status=500)
        return web.json_response(result)

    return handle
