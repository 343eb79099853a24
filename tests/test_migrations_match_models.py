"""The migrations build the schema the models describe: every table and column of the
models exists after ``upgrade`` on SQLite and PostgreSQL, and nothing else is there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

import storage.models_breaches
import storage.models_campaigns
import storage.models_console
import storage.models_faq
import storage.models_integrations
import storage.models_privacy
import storage.models_public
import storage.models_retention
import storage.models_webhooks  # noqa: F401  (every model module registers its tables)
from storage.models import Base


async def test_migrated_tables_and_columns_are_the_models(sm: Any) -> None:
    async with sm() as s:
        conn = await s.connection()

        def read(sync_conn: Any) -> dict[str, set[str]]:
            insp = inspect(sync_conn)
            return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}

        found = await conn.run_sync(read)
    found.pop("alembic_version", None)
    wanted = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    assert found == wanted
