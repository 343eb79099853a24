# ruff: noqa: F811
"""Every kind of data request through the public form ``/yeu-cau-du-lieu/`` (issue 18), verified
by the ticket code and the last 4 digits of its phone, against the running hub (SQLite and
PostgreSQL): each is recorded for the ticket's contact with its acknowledgement and answer
deadlines in working days on the project's calendar across Tết 2027, and the page shows the
reference and the due date.

The expected dates are counted by hand on the calendar (not with the code under test): Tết
2027 (mùng 1 = Sat 06/02) closes Fri 05/02 to Thu 11/02 (the five Tết days and the days in
lieu of the weekend); a deadline is the end (23:59:59 in Việt Nam) of the n-th working day
after the day the request arrives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.hub import HUB
from storage.clock import ManualClock, as_utc
from storage.models import Ticket
from storage.models_privacy import DataRequest
from tests.console.conftest import (  # noqa: F401  (fixtures)
    console_app,
    console_client,
    new_ticket,
    people,
)
from tests.privacy.test_requests_flow import _form

BEFORE_TET = datetime(2027, 1, 28, 3, 0, tzinfo=UTC)  # Thu 28/01/2027 10:00 in Việt Nam
# from Thu 28/01: working days Fri 29/01, Mon 01/02 … Thu 04/02, [Tết 05–11/02], Fri 12/02,
# 15–19/02, 22–26/02, 01/03 …
ACK_DUE = "01/02/2027"  # 2 working days: 29/01, 01/02
DUE = {
    "view": "18/02/2027",  # 10: 29/01, 01–04/02 (5), 12/02 (6), 15–18/02 (10)
    "copy": "18/02/2027",
    "correct": "18/02/2027",
    "restrict": "25/02/2027",  # 15: … 18/02 (10), 19/02, 22–25/02 (15)
    "object": "25/02/2027",
    "withdraw_consent": "25/02/2027",
    "delete": "04/03/2027",  # 20: … 25/02 (15), 26/02, 01–04/03 (20)
}
PHONE = "0912 345 678"


@pytest.fixture
def console_clock() -> ManualClock:
    return ManualClock(BEFORE_TET)


def _end_of(day: str) -> datetime:
    """23:59:59 of a Vietnamese day (UTC+7, no daylight saving) in UTC."""
    d, m, y = (int(p) for p in day.split("/"))
    return datetime(y, m, d, 16, 59, 59, tzinfo=UTC)


def _shown(page: str, dd_id: str) -> str:
    start = page.index(f'<dd id="{dd_id}">') + len(f'<dd id="{dd_id}">')
    return page[start : page.index("</dd>", start)]


async def _ticket(console_app: web.Application, people: Any) -> tuple[str, int]:
    op = await people("op1")
    _, code = await new_ticket(people, op, "Hỏi về dữ liệu", full_name="Trịnh Văn Nam", phone=PHONE)
    async with console_app[HUB].sm() as s:
        ticket = (await s.execute(select(Ticket).where(Ticket.code == code))).scalar_one()
    assert ticket.contact_id is not None
    return code, ticket.contact_id


async def test_each_kind_on_the_form_is_recorded_with_its_working_day_deadline(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    code, contact_id = await _ticket(console_app, people)
    visitor = await people()
    references = {}
    for kind, due in DUE.items():
        text = f"Yêu cầu {kind} của tôi"
        status, page = await _form(visitor, method="ticket", kind=kind, code=code, phone="5678", text=text)
        assert status == 200, page
        assert _shown(page, "due") == due, (kind, page)
        references[kind] = _shown(page, "reference")
        assert references[kind].startswith("YCDL-2027-")
    assert len(set(references.values())) == len(DUE)
    async with console_app[HUB].sm() as s:
        rows = {r.kind: r for r in (await s.execute(select(DataRequest))).scalars()}
    assert set(rows) == set(DUE)
    for kind, req in rows.items():
        assert req.reference == references[kind]
        assert req.contact_id == contact_id and req.channel == "web_form"
        assert req.verification == "ticket_phone" and req.text == f"Yêu cầu {kind} của tôi"
        assert req.status == "acknowledged"  # the page is the acknowledgement
        assert as_utc(req.received_at) == BEFORE_TET
        assert as_utc(req.ack_due) == _end_of(ACK_DUE), kind
        assert as_utc(req.due_at) == _end_of(DUE[kind]), kind
        assert req.extended_due is None


async def test_a_request_the_day_before_tet_acknowledges_after_it(
    console_app: web.Application, console_client: Any, people: Any, console_clock: ManualClock
) -> None:
    """Wed 03/02: 2 working days are Thu 04/02 and Fri 12/02; 10 end on Wed 24/02."""
    code, _ = await _ticket(console_app, people)
    console_clock.set(datetime(2027, 2, 3, 2, 0, tzinfo=UTC))  # Wed 03/02 09:00
    visitor = await people()
    status, page = await _form(visitor, method="ticket", kind="copy", code=code, phone="5678")
    assert status == 200 and _shown(page, "due") == "24/02/2027", page
    async with console_app[HUB].sm() as s:
        req = (await s.execute(select(DataRequest))).scalar_one()
    assert req.kind == "copy" and _shown(page, "reference") == req.reference
    assert as_utc(req.ack_due) == _end_of("12/02/2027")
    assert as_utc(req.due_at) == _end_of("24/02/2027")
