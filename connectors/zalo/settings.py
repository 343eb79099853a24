"""The ``zalo:`` section of credentials.yml, checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import ChannelNotConfigured

DEFAULT_API_BASE = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"

# settings key -> environment variable read by the default credentials.yml
REQUIRED = {
    "app_id": "ZALO_APP_ID",
    "app_secret": "ZALO_APP_SECRET",
    "oa_secret_key": "ZALO_OA_SECRET_KEY",
    "access_token": "ZALO_ACCESS_TOKEN",
    "refresh_token": "ZALO_REFRESH_TOKEN",
}


@dataclass(frozen=True, slots=True)
class ZaloSettings:
    app_id: str
    app_secret: str
    oa_secret_key: str
    access_token: str
    refresh_token: str
    api_base: str = DEFAULT_API_BASE
    oauth_base: str = DEFAULT_OAUTH_BASE
    timeout: float = 10.0  # seconds per HTTP call to Zalo
    max_event_age: float = 7200.0  # Zalo redelivers for ~1 h 50 min with the original timestamp
    max_clock_skew: float = 300.0  # how far in the future an event timestamp may be
    state_key: str = "zalo:oa_tokens"


def _text(settings: Mapping[str, Any], key: str) -> str:
    value = settings.get(key)
    return "" if value is None else str(value).strip()


def _number(settings: Mapping[str, Any], key: str, default: float) -> float:
    raw = _text(settings, key)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as err:
        raise ChannelNotConfigured(f"Zalo: giá trị {key}={raw!r} không phải là số") from err
    if value <= 0:
        raise ChannelNotConfigured(f"Zalo: giá trị {key} phải lớn hơn 0")
    return value


def load(settings: Mapping[str, Any]) -> ZaloSettings:
    """Raise :class:`ChannelNotConfigured` (Vietnamese, naming the variables) when incomplete."""
    missing = [f"{env} ({key})" for key, env in REQUIRED.items() if not _text(settings, key)]
    if missing:
        raise ChannelNotConfigured("Kênh Zalo tắt: thiếu cấu hình " + ", ".join(missing))
    return ZaloSettings(
        app_id=_text(settings, "app_id"),
        app_secret=_text(settings, "app_secret"),
        oa_secret_key=_text(settings, "oa_secret_key"),
        access_token=_text(settings, "access_token"),
        refresh_token=_text(settings, "refresh_token"),
        api_base=_text(settings, "api_base") or DEFAULT_API_BASE,
        oauth_base=_text(settings, "oauth_base") or DEFAULT_OAUTH_BASE,
        timeout=_number(settings, "timeout", 10.0),
        max_event_age=_number(settings, "max_event_age", 7200.0),
        max_clock_skew=_number(settings, "max_clock_skew", 300.0),
        state_key=_text(settings, "state_key") or "zalo:oa_tokens",
    )
