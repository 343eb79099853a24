"""A view is recorded once per look (issue 14, audit noise): the same user opening the same
ticket again within bot.console.core.VIEW_REPEAT_WINDOW writes no second ``view_ticket``
row; another action in between, another user, or the window passing does. Time moves on the
console's ManualClock. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.console.core import VIEW_REPEAT_WINDOW
from bot.hub import HUB
from storage.models_console import AuditLog
from tests.console.conftest import new_ticket


async def _views(app: Any, ticket_id: int) -> list[str | None]:
    """The usernames of the ``view_ticket`` rows of this ticket, oldest first."""
    async with app[HUB].sm() as s:
        rows = await s.execute(
            select(AuditLog.username)
            .where(
                AuditLog.action == "view_ticket",
                AuditLog.object_type == "ticket",
                AuditLog.object_id == str(ticket_id),
            )
            .order_by(AuditLog.id)
        )
        return list(rows.scalars())


async def _ticket(op: Any, content: str = "Hỏi thủ tục") -> int:
    status, body = await op.post("/console/api/calls", {"phone": "0900000031", "content": content})
    assert status == 200, body
    return int(body["ticket"]["id"])


async def test_two_loads_of_a_ticket_write_one_view(people: Any, console_app: Any) -> None:
    op = await people("op1")
    tid = await _ticket(op)
    for _ in range(3):
        assert (await op.get(f"/console/api/tickets/{tid}"))[0] == 200
    assert await _views(console_app, tid) == ["op1"]


async def test_concurrent_loads_write_one_view(people: Any, console_app: Any) -> None:
    op = await people("op1")
    tid = await _ticket(op)
    results = await asyncio.gather(*(op.get(f"/console/api/tickets/{tid}") for _ in range(4)))
    assert [code for code, _ in results] == [200] * 4
    assert await _views(console_app, tid) == ["op1"]


async def test_another_action_user_object_or_time_makes_a_new_view(
    people: Any, console_app: Any, console_clock: Any
) -> None:
    op, op2 = await people("op1"), await people("op2")
    tid, other = await _ticket(op), await _ticket(op, "Hỏi việc khác")
    page = f"/console/api/tickets/{tid}"

    assert (await op.get(page))[0] == 200
    assert (await op.post(f"/console/api/tickets/{tid}/urgent", {"urgent": True}))[0] == 200
    assert (await op.get(page))[0] == 200  # a different action in between: a new look
    assert await _views(console_app, tid) == ["op1", "op1"]

    assert (await op.get(f"/console/api/tickets/{other}"))[0] == 200  # another ticket
    assert (await op.get(page))[0] == 200
    assert await _views(console_app, tid) == ["op1", "op1", "op1"]

    assert (await op2.get(page))[0] == 200  # another person
    assert (await op.get(page))[0] == 200  # op1's latest row is still this view
    assert await _views(console_app, tid) == ["op1", "op1", "op1", "op2"]

    console_clock.advance(seconds=VIEW_REPEAT_WINDOW.total_seconds() - 1)
    assert (await op.get(page))[0] == 200
    assert len(await _views(console_app, tid)) == 4
    console_clock.advance(seconds=2)  # the window has passed since the recorded view
    assert (await op.get(page))[0] == 200
    assert await _views(console_app, tid) == ["op1", "op1", "op1", "op2", "op1"]


async def test_live_refreshes_of_a_conversation_write_one_view(people: Any, console_app: Any) -> None:
    op = await people("op1")
    tid, _ = await new_ticket(people, op)
    _, ticket = await op.get(f"/console/api/tickets/{tid}")
    conv = ticket["conversation_id"]
    for _ in range(3):  # the console re-reads an open conversation on every live event
        assert (await op.get(f"/console/api/conversations/{conv}"))[0] == 200
    async with console_app[HUB].sm() as s:
        rows = await s.execute(
            select(AuditLog.detail).where(
                AuditLog.action == "view_conversation", AuditLog.object_id == str(conv)
            )
        )
        details = list(rows.scalars())
    assert len(details) == 1 and details[0]["contact_id"]
