"""The communications officer (Cán bộ truyền thông) sees campaigns and its own account only:
every ticket, conversation, reference, notice, report and administration route refuses it;
its own account, the labels and the campaigns' routes let it in. No ticket event or notice
reaches its live connection."""

from __future__ import annotations

from typing import Any

from bot.console.live import _visible
from bot.hub import HUB
from storage.models_console import Role, User
from tests.console.conftest import _password_hash

REFUSED_GETS = [
    "/console/api/tickets",
    "/console/api/tickets/unclear",
    "/console/api/tickets/export.csv",
    "/console/api/queue",
    "/console/api/contacts?q=a",
    "/console/api/agencies",
    "/console/api/domains",
    "/console/api/canned",
    "/console/api/faq?q=a",
    "/console/api/users",
    "/console/api/audit",
    "/console/api/notifications",
    "/console/api/report",
]
ALLOWED_GETS = ["/console/api/me", "/console/api/labels", "/console/api/me/notices"]


async def _officer(console_client: Any, people: Any, username: str = "tt1") -> Any:
    hub = console_client.app[HUB]
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        s.add(
            User(
                username=username,
                full_name="Cán bộ truyền thông",
                password_hash=_password_hash(),
                role=Role.COMMUNICATIONS.value,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    return await people(username)


async def test_the_officer_is_refused_everything_but_its_account(console_client: Any, people: Any) -> None:
    officer = await _officer(console_client, people)
    for path in REFUSED_GETS:
        status, body = await officer.get(path)
        assert status == 403, (path, status, body)
        assert "Vai trò của bạn" in body["error"]
    for path in ALLOWED_GETS:
        status, body = await officer.get(path)
        assert status == 200, (path, status, body)
    status, body = await officer.post("/console/api/calls", {"phone": "0912345678", "content": "x"})
    assert status == 403, body
    status, body = await officer.post("/console/api/notifications/read", {})
    assert status == 403, body


async def test_an_operator_still_reads_tickets(console_client: Any, people: Any) -> None:
    op = await people("op1")
    assert (await op.get("/console/api/tickets"))[0] == 200
    assert (await op.get("/console/api/labels"))[0] == 200


def test_no_ticket_event_or_notice_reaches_the_officer() -> None:
    officer = User(role=Role.COMMUNICATIONS.value, agency_id=None)
    assert not _visible(officer, {"type": "ticket", "ticket_id": 1, "agency_id": None})
    assert not _visible(officer, {"type": "notification", "role": "operator", "agency_id": None})
    assert _visible(officer, {"type": "resync"})
