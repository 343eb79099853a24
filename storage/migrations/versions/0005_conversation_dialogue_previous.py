"""conversation dialogue state and link to the previous conversation

``conversations.dialogue`` holds the hub-owned dialogue state between turns (the contact
form's progress, the suggestions offered, whether the citizen was greeted).
``conversations.previous_id`` links a conversation opened after a close to the closed one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


FK_NAME = "fk_conversations_previous_id_conversations"


def upgrade() -> None:
    op.add_column("conversations", sa.Column("dialogue", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with an inline REFERENCES; its batch mode would rebuild the
        # table, and dropping ``conversations`` fails while messages refer to it
        op.execute("ALTER TABLE conversations ADD COLUMN previous_id INTEGER REFERENCES conversations (id)")
    else:
        op.add_column(
            "conversations",
            sa.Column(
                "previous_id",
                sa.BigInteger(),
                sa.ForeignKey("conversations.id", name=FK_NAME),
                nullable=True,
            ),
        )
    op.create_index("ix_conversations_previous_id", "conversations", ["previous_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_conversations_previous_id", table_name="conversations")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE conversations DROP COLUMN previous_id")
    else:
        op.drop_constraint(FK_NAME, "conversations", type_="foreignkey")
        op.drop_column("conversations", "previous_id")
    op.drop_column("conversations", "dialogue")
