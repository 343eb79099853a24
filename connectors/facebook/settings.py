"""The ``facebook`` section of credentials.yml, validated: ``load(section)``.

``SCHEMA`` lists every key (required ones are named by their variable when missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import ChannelNotConfigured
from connectors.settings import Key, Section

DEFAULT_GRAPH_BASE = "https://graph.facebook.com/v21.0"
DEFAULT_TIMEOUT = 15.0  # seconds per Graph call

SCHEMA = (
    Key(
        "app_secret",
        "FACEBOOK_APP_SECRET",
        required=True,
        meaning="verifies X-Hub-Signature-256, signs appsecret_proof",
    ),
    Key("verify_token", "FACEBOOK_VERIFY_TOKEN", required=True, meaning="the token of the GET handshake"),
    Key(
        "page_access_token",
        "FACEBOOK_PAGE_ACCESS_TOKEN",
        required=True,
        meaning="Page token with pages_messaging",
    ),
    Key("graph_base", "FACEBOOK_GRAPH_BASE", default=DEFAULT_GRAPH_BASE, meaning="Graph API base, http(s)"),
    Key("app_id", "FACEBOOK_APP_ID", meaning="recognises our own echoes besides the metadata marker"),
    Key("page_id", "FACEBOOK_PAGE_ID", meaning="send through /{page-id}/messages instead of /me"),
    Key("timeout", "FACEBOOK_TIMEOUT", default=DEFAULT_TIMEOUT, meaning="seconds per Graph call"),
)


@dataclass(frozen=True, slots=True)
class FacebookSettings:
    app_secret: str
    verify_token: str
    page_access_token: str
    graph_base: str = DEFAULT_GRAPH_BASE
    app_id: str | None = None  # optional: recognises our own echoes besides the metadata marker
    page_id: str | None = None  # optional: send through /{page-id}/messages instead of /me
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:  # never print secrets
        return (
            f"FacebookSettings(graph_base={self.graph_base!r}, app_id={self.app_id!r}, "
            f"page_id={self.page_id!r}, secrets=<hidden>)"
        )


def load(settings: Mapping[str, Any]) -> FacebookSettings:
    """Raise :class:`ChannelNotConfigured` naming every missing variable."""
    section = Section(settings, SCHEMA)
    missing = [key.env for key in section.missing()]
    if missing:
        raise ChannelNotConfigured("Kênh Facebook đang tắt: thiếu biến môi trường " + ", ".join(missing))
    base = section.text("graph_base")
    if not base.startswith(("http://", "https://")):
        raise ChannelNotConfigured(
            f"Kênh Facebook đang tắt: FACEBOOK_GRAPH_BASE phải là địa chỉ http(s), nhận được {base!r}"
        )
    try:  # any false value (0 included) is the default; white space is not a number
        timeout = float(settings.get("timeout") or DEFAULT_TIMEOUT)
    except (TypeError, ValueError):
        raise ChannelNotConfigured("Kênh Facebook đang tắt: 'timeout' phải là số giây") from None
    return FacebookSettings(
        app_secret=section.text("app_secret"),
        verify_token=section.text("verify_token"),
        page_access_token=section.text("page_access_token"),
        graph_base=base.rstrip("/"),
        app_id=section.optional_text("app_id"),
        page_id=section.optional_text("page_id"),
        timeout=timeout,
    )
