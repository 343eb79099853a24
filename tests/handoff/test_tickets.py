"""Ticket codes: sequential per year, prefix from a setting, no collision under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from handoff.tickets import TicketError, create_ticket, format_code, ticket_prefix
from storage.models import Contact, Conversation, Ticket
from storage.models_console import TicketEvent, TicketTrack
from tests.console.dbutil import make_conversation, migrated

NOW = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)


def test_code_format_and_prefix_setting() -> None:
    assert format_code("1022", 2027, 42) == "1022-2027-000042"
    assert ticket_prefix({}) == "1022"
    assert ticket_prefix({"HUB_TICKET_PREFIX": "1022HD"}) == "1022HD"
    with pytest.raises(TicketError):
        ticket_prefix({"HUB_TICKET_PREFIX": "10 22"})


async def test_sequential_codes_snapshot_and_history(database_url: str) -> None:
    async with migrated(database_url, NOW) as sm:
        conv_id = await make_conversation(sm, NOW)
        codes = []
        for i in range(3):
            async with sm() as s, s.begin():
                conv = await s.get(Conversation, conv_id)
                t = await create_ticket(
                    s, conv, content=f"hỏi {i}", now=NOW, full_name="Nguyễn Thị B", phone="0912345678"
                )
                codes.append(t.code)
        assert codes == ["1022-2027-000001", "1022-2027-000002", "1022-2027-000003"]
        async with sm() as s:
            t = (await s.execute(select(Ticket).where(Ticket.code == codes[0]))).scalar_one()
            assert t.contact_snapshot is not None
            assert t.contact_snapshot["full_name"] == "Nguyễn Thị B"
            assert t.contact_snapshot["phone"] == "0912345678"
            assert t.channel == "webchat" and t.status == "new"
            contact = await s.get(Contact, t.contact_id)
            assert contact is not None and contact.phone == "0912345678"  # the contact is completed
            assert await s.get(TicketTrack, t.id) is not None
            events = (
                (await s.execute(select(TicketEvent).where(TicketEvent.ticket_id == t.id))).scalars().all()
            )
            assert [e.action for e in events] == ["received"]


async def test_year_boundary_in_hotline_timezone_and_custom_prefix(database_url: str) -> None:
    # 2027-12-31 17:30 UTC is already 2028-01-01 00:30 in Việt Nam
    late = datetime(2027, 12, 31, 17, 30, tzinfo=UTC)
    async with migrated(database_url, NOW) as sm:
        async with sm() as s, s.begin():
            a = await create_ticket(s, None, content="gọi điện", now=NOW, kind="call", prefix="1022")
            b = await create_ticket(s, None, content="gọi điện", now=late, kind="call", prefix="HD1022")
        assert a.code == "1022-2027-000001" and a.channel == "phone"
        assert b.code == "HD1022-2028-000001"


async def test_concurrent_creations_never_collide(database_url: str) -> None:
    async with migrated(database_url, NOW) as sm:

        async def one(i: int) -> str:
            async with sm() as s, s.begin():
                t = await create_ticket(s, None, content=f"yêu cầu {i}", now=NOW, kind="call")
                await asyncio.sleep(0)  # hold the counter lock while others queue
                return t.code

        codes = await asyncio.gather(*(one(i) for i in range(25)))
        assert sorted(codes) == [format_code("1022", 2027, n) for n in range(1, 26)]


async def test_rolled_back_creation_gives_its_number_back_and_bad_input_is_refused(database_url: str) -> None:
    async with migrated(database_url, NOW) as sm:
        with pytest.raises(RuntimeError):
            async with sm() as s, s.begin():
                await create_ticket(s, None, content="x", now=NOW, kind="call")
                raise RuntimeError("abort")
        async with sm() as s, s.begin():
            with pytest.raises(TicketError):
                await create_ticket(s, None, content="   ", now=NOW)
            with pytest.raises(TicketError):
                await create_ticket(s, None, content="x", now=NOW, kind="spam")
            with pytest.raises(TicketError):
                await create_ticket(s, None, content="x", now=datetime(2027, 1, 1))
            t = await create_ticket(s, None, content="x", now=NOW, kind="call")
        assert t.code == "1022-2027-000001"
        async with sm() as s:
            assert (await s.execute(select(func.count()).select_from(Ticket))).scalar_one() == 1
