"""Apply Alembic migrations programmatically (the hub does it on start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.session import normalise_url

MIGRATION_LOCK = 1022_0001  # the advisory lock held while migrating (PostgreSQL)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Run ``alembic upgrade`` on ``engine``'s database inside its own connection."""

    def _run(sync_conn: object) -> None:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # several processes starting at once: one migrates
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(_run)
