"""Facebook Page channel (Messenger Platform).

``create(ctx)`` builds the connector from the ``facebook`` section of credentials.yml; it
raises :class:`ChannelNotConfigured` (Vietnamese reason naming the missing variables) when
FACEBOOK_APP_SECRET, FACEBOOK_VERIFY_TOKEN or FACEBOOK_PAGE_ACCESS_TOKEN is empty.
See docs/facebook.md.
"""

from __future__ import annotations

from connectors.facebook.connector import WEBHOOK_PATH, FacebookConnector
from connectors.facebook.errors import GraphError, PageTokenInvalid
from connectors.facebook.settings import FacebookSettings, load
from connectors.facebook.signature import ForgedDelivery
from connectors.facebook.window import OutsideWindow
from connectors.registry import ConnectorContext

__all__ = [
    "WEBHOOK_PATH",
    "FacebookConnector",
    "FacebookSettings",
    "ForgedDelivery",
    "GraphError",
    "OutsideWindow",
    "PageTokenInvalid",
    "create",
]


def create(ctx: ConnectorContext) -> FacebookConnector:
    settings = load(ctx.settings)
    return FacebookConnector(settings, session=ctx.session, state=ctx.state, clock=ctx.clock)
