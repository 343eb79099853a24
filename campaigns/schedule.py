"""When announcements may go out: between the allowed hours (06:00–22:00 by default) in the
hotline's time zone. Pure functions of a given instant (callers pass their clock's now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaigns.settings import CampaignSettings


def allowed(now: datetime, cfg: CampaignSettings) -> bool:
    """True when ``now`` is inside the allowed hours (start included, end excluded)."""
    local = now.astimezone(cfg.timezone).time()
    return cfg.start <= local < cfg.end


def next_opening(now: datetime, cfg: CampaignSettings) -> datetime:
    """``now`` when inside the allowed hours, else the next start of them (UTC)."""
    if allowed(now, cfg):
        return now
    local = now.astimezone(cfg.timezone)
    day = local.date() if local.time() < cfg.start else local.date() + timedelta(days=1)
    return datetime.combine(day, cfg.start, cfg.timezone).astimezone(UTC)


def is_due(scheduled_at: datetime | None, now: datetime) -> bool:
    """No scheduled time means as soon as approved."""
    return scheduled_at is None or scheduled_at <= now
