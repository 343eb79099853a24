"""The audit log: who did what, when, from where, on a ticket or a citizen's data.
Append-only: this module only inserts; the database refuses UPDATE/DELETE (migration 0002)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_console import AuditLog, User


def record(
    session: AsyncSession,
    *,
    user: User | None,
    action: str,
    object_type: str,
    object_id: int | str | None,
    now: datetime,
    ip: str | None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    row = AuditLog(
        at=now,
        user_id=user.id if user else None,
        username=user.username if user else None,
        role=user.role if user else None,
        ip=ip,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
    )
    session.add(row)
    return row
