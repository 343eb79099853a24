"""What differs between the two databases the hub runs on (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` into ``table`` for the session's dialect, so that it takes
    ``.on_conflict_do_nothing(…)``: PostgreSQL's, else SQLite's."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
