"""The ``facebook`` section of credentials.yml, validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import ChannelNotConfigured

DEFAULT_GRAPH_BASE = "https://graph.facebook.com/v21.0"
# settings key -> the environment variable credentials.yml reads it from
REQUIRED = {
    "app_secret": "FACEBOOK_APP_SECRET",
    "verify_token": "FACEBOOK_VERIFY_TOKEN",
    "page_access_token": "FACEBOOK_PAGE_ACCESS_TOKEN",
}


@dataclass(frozen=True, slots=True)
class FacebookSettings:
    app_secret: str
    verify_token: str
    page_access_token: str
    graph_base: str = DEFAULT_GRAPH_BASE
    app_id: str | None = None  # optional: recognises our own echoes besides the metadata marker
    page_id: str | None = None  # optional: send through /{page-id}/messages instead of /me
    timeout: float = 15.0  # seconds per Graph call

    def __repr__(self) -> str:  # never print secrets
        return (
            f"FacebookSettings(graph_base={self.graph_base!r}, app_id={self.app_id!r}, "
            f"page_id={self.page_id!r}, secrets=<hidden>)"
        )


def _text(settings: Mapping[str, Any], key: str) -> str:
    value = settings.get(key)
    return "" if value is None else str(value).strip()


def load_settings(settings: Mapping[str, Any]) -> FacebookSettings:
    """Raise :class:`ChannelNotConfigured` naming every missing variable."""
    missing = [env for key, env in REQUIRED.items() if not _text(settings, key)]
    if missing:
        raise ChannelNotConfigured("Kênh Facebook đang tắt: thiếu biến môi trường " + ", ".join(missing))
    base = _text(settings, "graph_base") or DEFAULT_GRAPH_BASE
    if not base.startswith(("http://", "https://")):
        raise ChannelNotConfigured(
            f"Kênh Facebook đang tắt: FACEBOOK_GRAPH_BASE phải là địa chỉ http(s), nhận được {base!r}"
        )
    try:
        timeout = float(settings.get("timeout") or 15.0)
    except (TypeError, ValueError):
        raise ChannelNotConfigured("Kênh Facebook đang tắt: 'timeout' phải là số giây") from None
    return FacebookSettings(
        app_secret=_text(settings, "app_secret"),
        verify_token=_text(settings, "verify_token"),
        page_access_token=_text(settings, "page_access_token"),
        graph_base=base.rstrip("/"),
        app_id=_text(settings, "app_id") or None,
        page_id=_text(settings, "page_id") or None,
        timeout=timeout,
    )
