"""tickets: folded search text, urgent mark; audit log by user

``tickets.search_text``: the code, content and the citizen's name and phone folded (lower
case, no diacritics, ``đ`` -> ``d``) for the console's accentless search, kept by
``handoff.tickets``. Rows written before this revision get it here, computed by the same
function (``storage.search.ticket_search_text``). On PostgreSQL a trigram index
(``ix_tickets_search_trgm``, extension ``pg_trgm``, trusted since PostgreSQL 13) serves the
search's ``LIKE '%…%'``; where the extension cannot be created the index is left out with a
warning, and the search still works, by a scan.

``ticket_tracks.urgent``: the urgent mark of Điều 13.2 (``handoff.transitions.set_urgent``),
false for every existing ticket.

``ix_audit_user_id`` (``audit_log.user_id, id``): a user's latest audit row, read before a
repeated view is recorded (``bot.console.core.audit_view``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:00:00.000000
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from storage.search import ticket_search_text

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 500
log = logging.getLogger(__name__)


def _trigram_index() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():  # a savepoint: a refusal leaves the migration's transaction usable
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            bind.exec_driver_sql(
                "CREATE INDEX ix_tickets_search_trgm ON tickets USING gin (search_text gin_trgm_ops)"
            )
    except sa.exc.DBAPIError as err:
        log.warning("no trigram index on tickets.search_text (the search scans): %s", err)


def upgrade() -> None:
    op.add_column("tickets", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "ticket_tracks", sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index("ix_audit_user_id", "audit_log", ["user_id", "id"], unique=False)
    tickets = sa.table(
        "tickets",
        sa.column("id", sa.BigInteger()),
        sa.column("code", sa.String(40)),
        sa.column("content", sa.Text()),
        sa.column("contact_snapshot", sa.JSON()),
        sa.column("search_text", sa.Text()),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(tickets.c.id, tickets.c.code, tickets.c.content, tickets.c.contact_snapshot)
            .where(tickets.c.id > last)
            .order_by(tickets.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            bind.execute(
                tickets.update()
                .where(tickets.c.id == row.id)
                .values(search_text=ticket_search_text(row.code, row.content or "", row.contact_snapshot))
            )
        last = rows[-1].id
    _trigram_index()


def downgrade() -> None:
    op.drop_index("ix_audit_user_id", table_name="audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tickets_search_trgm")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE ticket_tracks DROP COLUMN urgent")
        op.execute("ALTER TABLE tickets DROP COLUMN search_text")
    else:
        op.drop_column("ticket_tracks", "urgent")
        op.drop_column("tickets", "search_text")
