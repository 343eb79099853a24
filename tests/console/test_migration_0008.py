"""Migration 0008 on a database that already has tickets (SQLite and PostgreSQL): every
ticket gets its folded ``search_text`` (the same function the hub keeps it with), every
track ``urgent`` false, and the console's search finds the old tickets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.ticket_list import ListFilters, find_tickets, tickets_query
from storage.migrate import upgrade
from storage.models import Ticket
from storage.models_console import TicketTrack, User
from storage.search import ticket_search_text
from storage.session import create_engine, make_sessionmaker

pytestmark = pytest.mark.empty_database  # it migrates to 0007, fills tickets, then on
NOW = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
OLD = [  # code, content, contact snapshot
    ("1022-2027-000001", "Đường Lê Lợi bị ngập", {"full_name": "Nguyễn Văn A", "phone": "0912 345 678"}),
    ("1022-2027-000002", "Hỏi tiêm chủng", {"display_name": "Đức Trần"}),
    ("1022-2027-000003", "Không có người", None),
]


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_0008_backfills_search_text_and_urgent(engine: AsyncEngine) -> None:
    await upgrade(engine, "0007")
    tickets = sa.table(
        "tickets",
        *(sa.column(c) for c in ("id", "code", "year", "number", "channel", "status", "kind", "content")),
        sa.column("contact_snapshot", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    tracks = sa.table(
        "ticket_tracks", sa.column("ticket_id"), sa.column("received_at", sa.DateTime(timezone=True))
    )
    async with engine.begin() as conn:
        for i, (code, content, snap) in enumerate(OLD, start=1):
            await conn.execute(
                tickets.insert().values(
                    id=i,
                    code=code,
                    year=2027,
                    number=i,
                    channel="phone",
                    status="new",
                    kind="call",
                    content=content,
                    contact_snapshot=snap,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            await conn.execute(tracks.insert().values(ticket_id=i, received_at=NOW))

    await upgrade(engine)

    sm = make_sessionmaker(engine)
    async with sm() as s:
        rows = (await s.execute(sa.select(Ticket, TicketTrack).join(TicketTrack))).all()
        assert len(rows) == 3
        for t, tr in rows:
            assert t.search_text == ticket_search_text(t.code, t.content, t.contact_snapshot)
            assert tr.urgent is False
        by_code = {t.code: t.search_text for t, _ in rows}
        assert "nguyen van a" in by_code["1022-2027-000001"] and "duong le loi" in by_code["1022-2027-000001"]
        assert "0912345678" in by_code["1022-2027-000001"]
        assert "duc tran" in by_code["1022-2027-000002"]
        operator = User(username="op", role="operator", password_hash="x", active=True)
        for query, expected in (("nguyen van a", ["1022-2027-000001"]), ("duc", ["1022-2027-000002"])):
            found, _ = await find_tickets(s, operator, ListFilters(q=query), NOW)
            assert [t.code for t, _, _ in found] == expected, query


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite: a scan of one column
async def test_the_search_can_use_an_index_on_postgresql(engine: AsyncEngine) -> None:
    """On PostgreSQL the search's LIKE is served by the trigram index (not a scan of every
    ticket once the table is large); the planner is told to avoid scans to show it can."""
    await upgrade(engine)
    operator = User(username="op", role="operator", password_hash="x", active=True)
    query = tickets_query(operator, ListFilters(q="nguyen van"), NOW)
    sql = str(query.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))
    async with make_sessionmaker(engine)() as s, s.begin():
        await s.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(str(r[0]) for r in (await s.execute(sa.text("EXPLAIN " + sql))).all())
    assert "ix_tickets_search_trgm" in plan, plan
