"""The 72-hour clock of a personal-data breach (Law 91/2025/QH15 Điều 23; Decree
356/2025/NĐ-CP): from discovery, the specialised authority must be notified within 72 hours.
Pure time arithmetic and the register's settings; :mod:`privacy.breaches` changes state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

NOTIFY_WITHIN = timedelta(hours=72)
REMIND_AFTER = timedelta(hours=48)  # "còn 24 giờ"

DEFAULT_AUTHORITY = (
    "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05), Bộ Công an "
    "(cơ quan chuyên trách bảo vệ dữ liệu cá nhân)"
)


DEFAULT_LEGAL_BASIS = "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Nghị định số 356/2025/NĐ-CP"


class Notice(StrEnum):
    """The clock's two notices, as the ``kind`` of a console notification."""

    REMINDER = "breach_48h"
    OVERDUE = "breach_overdue"


@dataclass(frozen=True)
class BreachSettings:
    """Who sends the notification and to whom (``HUB_BREACH_*``)."""

    controller: str  # the organisation notifying (HUB_BREACH_CONTROLLER, else the hotline's name)
    authority: str  # the addressee (HUB_BREACH_AUTHORITY)
    contact: str  # the responsible person's name, phone, e-mail (HUB_BREACH_CONTACT)
    legal_basis: str  # "Căn cứ …" of the notification (HUB_BREACH_LEGAL_BASIS)
    check_seconds: float  # the worker's period (HUB_BREACH_CHECK_SECONDS)


def load(env: Mapping[str, str], hotline_name: str) -> BreachSettings:
    raw = (env.get("HUB_BREACH_CHECK_SECONDS") or "60").strip()
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 1 <= seconds <= 86400:
        raise ValueError(f"HUB_BREACH_CHECK_SECONDS: cần một số giây từ 1 đến 86400, nhận {raw!r}")
    return BreachSettings(
        controller=(env.get("HUB_BREACH_CONTROLLER") or "").strip() or hotline_name,
        authority=(env.get("HUB_BREACH_AUTHORITY") or "").strip() or DEFAULT_AUTHORITY,
        contact=(env.get("HUB_BREACH_CONTACT") or "").strip(),
        legal_basis=(env.get("HUB_BREACH_LEGAL_BASIS") or "").strip() or DEFAULT_LEGAL_BASIS,
        check_seconds=seconds,
    )


def due_at(discovered_at: datetime) -> datetime:
    return discovered_at + NOTIFY_WITHIN


def hours_left(discovered_at: datetime, now: datetime) -> float:
    """Hours until the 72-hour limit (negative once it has passed), to one decimal."""
    return round((due_at(discovered_at) - now).total_seconds() / 3600, 1)


def notice_due(discovered_at: datetime, now: datetime, reminded: bool, overdue_told: bool) -> Notice | None:
    """The notice a breach not yet notified to the authority needs at ``now``, if any: the
    overdue one past 72 h (it replaces a reminder never sent), else the reminder past 48 h."""
    elapsed = now - discovered_at
    if elapsed >= NOTIFY_WITHIN:
        return None if overdue_told else Notice.OVERDUE
    if elapsed >= REMIND_AFTER and not reminded:
        return Notice.REMINDER
    return None
