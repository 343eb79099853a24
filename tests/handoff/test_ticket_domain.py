"""A ticket the bot opened has no domain; it gets one at the forward (handoff.ticket_domain):
the domain the operator names, else the receiving agency's only domain; an agency with
several leaves it empty; a domain already set stays."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handoff import workflow as wf
from handoff.calendar import WorkingCalendar, load_calendar_text
from storage.models import Conversation, Ticket
from storage.models_console import Domain, TicketTrack
from storage.session import SessionMaker
from tests.console.dbutil import agency_id, make_conversation, migrated
from tests.handoff.calendars import MON_FRI
from tests.handoff.test_workflow import OPERATOR, vn

T0 = vn(2027, 3, 2, 9, 0)


@pytest.fixture
def cal() -> WorkingCalendar:
    return load_calendar_text(MON_FRI, "test")


async def _domain_id(sm: SessionMaker, code: str) -> int:
    async with sm() as s:
        return int((await s.execute(select(Domain.id).where(Domain.code == code))).scalar_one())


async def _forwarded(
    sm: SessionMaker,
    cal: WorkingCalendar,
    agency: str,
    *,
    opened_with: int | None = None,
    named: int | None = None,
) -> tuple[str | None, int | None]:
    conv_id = await make_conversation(sm, T0)
    target = await agency_id(sm, agency)  # before the transaction: SQLite's pool has one connection
    async with sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        out = await wf.open_ticket(s, conv, OPERATOR, T0, content="Hỏi về xe khách", domain_id=opened_with)
        tid = out.ticket.id
        await wf.forward(s, tid, OPERATOR, T0, cal, target, domain_id=named)
    async with sm() as s:
        ticket, track = await s.get(Ticket, tid), await s.get(TicketTrack, tid)
        assert ticket is not None and track is not None
        return ticket.domain, track.domain_id


async def test_domain_set_at_the_forward(database_url: str, cal: WorkingCalendar) -> None:
    async with migrated(database_url, T0) as sm:
        transport, health = await _domain_id(sm, "giao-thong"), await _domain_id(sm, "y-te")
        assert await _forwarded(sm, cal, "so-gtvt") == ("Giao thông vận tải", transport)  # its only domain
        assert await _forwarded(sm, cal, "so-yte") == (None, None)  # two domains: not guessed
        assert await _forwarded(sm, cal, "ubnd-nga-son") == (None, None)  # none of its own
        named = await _forwarded(sm, cal, "so-yte", named=health)
        assert named == ("Cấp cứu, y tế, điều trị, xét nghiệm, tiêm chủng", health)
        kept = await _forwarded(sm, cal, "so-gtvt", opened_with=health)  # the operator's choice stays
        assert kept == ("Cấp cứu, y tế, điều trị, xét nghiệm, tiêm chủng", health)
        with pytest.raises(wf.WorkflowError, match="Lĩnh vực không tồn tại"):
            await _forwarded(sm, cal, "so-gtvt", named=999_999)
