"""The ``zalo:`` section of credentials.yml, checked: ``load(section)``.

``SCHEMA`` lists every key; the required ones are named by variable and key when missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import ChannelNotConfigured
from connectors.settings import Key, Section

DEFAULT_API_BASE = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"

SCHEMA = (
    Key("app_id", "ZALO_APP_ID", required=True),
    Key("app_secret", "ZALO_APP_SECRET", required=True, meaning="header secret_key to the OAuth endpoint"),
    Key("oa_secret_key", "ZALO_OA_SECRET_KEY", required=True, meaning="signs webhooks (not the app secret)"),
    Key("access_token", "ZALO_ACCESS_TOKEN", required=True, meaning="seeds the token store the first time"),
    Key("refresh_token", "ZALO_REFRESH_TOKEN", required=True, meaning="seeds the token store the first time"),
    Key("api_base", "ZALO_API_BASE", default=DEFAULT_API_BASE),
    Key("oauth_base", "ZALO_OAUTH_BASE", default=DEFAULT_OAUTH_BASE),
    Key("timeout", "ZALO_TIMEOUT", default=10.0, meaning="seconds per HTTP call to Zalo"),
    Key(
        "max_event_age", "ZALO_MAX_EVENT_AGE", default=7200.0, meaning="seconds; Zalo redelivers ~1 h 50 min"
    ),
    Key(
        "max_clock_skew",
        "ZALO_MAX_CLOCK_SKEW",
        default=300.0,
        meaning="seconds an event may be in the future",
    ),
    Key("state_key", "ZALO_STATE_KEY", default="zalo:oa_tokens", meaning="the token pair's StateStore key"),
    Key(
        "utc_offset",
        "ZALO_UTC_OFFSET",
        default=7.0,
        meaning="hours east of UTC of Zalo's clock (promotions only 06:00-22:00 local): Vietnam, +7",
    ),
)
NOT_A_NUMBER = "Zalo: giá trị {key}={text!r} không phải là số"
NOT_POSITIVE = "Zalo: giá trị {key} phải lớn hơn 0"


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
    utc_offset: float = 7.0  # hours east of UTC: the local time of Zalo's 06:00-22:00 promotion window


def load(settings: Mapping[str, Any]) -> ZaloSettings:
    """Raise :class:`ChannelNotConfigured` (Vietnamese, naming the variables) when incomplete."""
    section = Section(settings, SCHEMA)
    missing = [f"{key.env} ({key.name})" for key in section.missing()]
    if missing:
        raise ChannelNotConfigured("Kênh Zalo tắt: thiếu cấu hình " + ", ".join(missing))

    def number(key: str) -> float:
        return section.number(key, invalid=NOT_A_NUMBER, positive=NOT_POSITIVE)

    return ZaloSettings(
        app_id=section.text("app_id"),
        app_secret=section.text("app_secret"),
        oa_secret_key=section.text("oa_secret_key"),
        access_token=section.text("access_token"),
        refresh_token=section.text("refresh_token"),
        api_base=section.text("api_base"),
        oauth_base=section.text("oauth_base"),
        timeout=number("timeout"),
        max_event_age=number("max_event_age"),
        max_clock_skew=number("max_clock_skew"),
        state_key=section.text("state_key"),
        utc_offset=section.number("utc_offset", invalid=NOT_A_NUMBER),
    )
