"""The campaigns' settings, read from the hub's environment (``hub.settings.env``).

=============================== ==================== =============================================
``HUB_CAMPAIGN_HOURS``          ``06:00-22:00``      when announcements may be sent (local time)
``HUB_CAMPAIGN_TIMEZONE``       ``Asia/Ho_Chi_Minh`` the hotline's time zone for those hours
``HUB_CAMPAIGN_CONCURRENCY``    ``8``                sends in flight at once per worker
``HUB_CAMPAIGN_RETRY_LIMIT``    ``5``                tries of a rate-limited/failing recipient
``HUB_CAMPAIGN_RETRY_DELAY``    ``30``               first backoff in seconds (doubles each try)
``HUB_CAMPAIGN_DISTRICTS_FILE`` (Thanh Hóa's list)   the province's district names, one a line
``HUB_CAMPAIGN_POLL_INTERVAL``  ``15``               seconds between the worker's looks
``HUB_CAMPAIGN_CLAIM_TTL``      ``120``              seconds a worker holds a claimed recipient
``HUB_CAMPAIGN_BATCH``          ``200``              recipients claimed at once
=============================== ==================== =============================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOTLINE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DATA_DIR = Path(__file__).parent / "data"
DEFAULT_DISTRICTS = DATA_DIR / "districts-thanh-hoa.txt"


class CampaignSettingsError(ValueError):
    """A campaign setting cannot be read (the message names it)."""


@dataclass(frozen=True)
class CampaignSettings:
    start: time = time(6, 0)
    end: time = time(22, 0)
    timezone: ZoneInfo = HOTLINE_TZ
    concurrency: int = 8
    retry_limit: int = 5
    retry_delay: float = 30.0
    districts_file: Path = DEFAULT_DISTRICTS
    poll_interval: float = 15.0
    claim_ttl: float = 120.0
    batch: int = 200


def load(env: Mapping[str, str]) -> CampaignSettings:
    start, end = _hours(env.get("HUB_CAMPAIGN_HOURS") or "06:00-22:00")
    return CampaignSettings(
        start=start,
        end=end,
        timezone=_zone(env.get("HUB_CAMPAIGN_TIMEZONE") or "Asia/Ho_Chi_Minh"),
        concurrency=int(_number(env, "HUB_CAMPAIGN_CONCURRENCY", 8, 1, 200)),
        retry_limit=int(_number(env, "HUB_CAMPAIGN_RETRY_LIMIT", 5, 1, 100)),
        retry_delay=_number(env, "HUB_CAMPAIGN_RETRY_DELAY", 30, 0, 86400),
        districts_file=Path(env.get("HUB_CAMPAIGN_DISTRICTS_FILE") or DEFAULT_DISTRICTS),
        poll_interval=_number(env, "HUB_CAMPAIGN_POLL_INTERVAL", 15, 0.01, 3600),
        claim_ttl=_number(env, "HUB_CAMPAIGN_CLAIM_TTL", 120, 1, 86400),
        batch=int(_number(env, "HUB_CAMPAIGN_BATCH", 200, 1, 10000)),
    )


def _hours(raw: str) -> tuple[time, time]:
    try:
        first, last = (time.fromisoformat(p.strip()) for p in raw.split("-"))
    except ValueError as err:
        raise CampaignSettingsError(f"HUB_CAMPAIGN_HOURS: cần dạng HH:MM-HH:MM, nhận {raw!r}") from err
    if first >= last:
        raise CampaignSettingsError("HUB_CAMPAIGN_HOURS: giờ bắt đầu phải trước giờ kết thúc")
    return first, last


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise CampaignSettingsError(f"HUB_CAMPAIGN_TIMEZONE: không biết múi giờ {name!r}") from err


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError as err:
        raise CampaignSettingsError(f"{name}: cần một số, nhận {raw!r}") from err
    if not low <= value <= high:
        raise CampaignSettingsError(f"{name}: phải từ {low:g} đến {high:g}")
    return value
