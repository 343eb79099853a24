"""Zalo Official Account channel (OA API v3): webhook ``POST /webhooks/zalo``.

``create(ctx)`` is what the registry calls; it raises :class:`ChannelNotConfigured` (with the
missing environment variables named, in Vietnamese) when the settings are incomplete.
See docs/zalo.md.
"""

from __future__ import annotations

from connectors.registry import ConnectorContext
from connectors.zalo.connector import ZaloConnector
from connectors.zalo.settings import ZaloSettings, load


def create(ctx: ConnectorContext) -> ZaloConnector:
    return ZaloConnector(ctx, load(ctx.settings))


__all__ = ["ZaloConnector", "ZaloSettings", "create"]
