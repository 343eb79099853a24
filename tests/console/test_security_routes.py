"""Every state-changing console route, the new ones included, found from the router itself:
none works without the session's CSRF token, and the agent screen's and admin's new routes
keep their roles. Each assertion fails when its protection is removed from a route."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tests.console.conftest import agency_id_of, new_ticket


def _console_posts(app: web.Application) -> list[str]:
    """The POST routes of the console sub-application, with their ids filled in."""
    found = []
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        routes = sub.router.routes() if isinstance(sub, web.Application) else resource
        for route in routes:
            info = route.resource.get_info() if route.resource else {}
            path = info.get("path") or info.get("formatter")
            if route.method == "POST" and path and path.startswith("/console/"):
                found.append(re.sub(r"\{[^}]+\}", "1", path))
    return sorted(set(found))


async def test_no_console_post_works_without_the_csrf_token(people: Any, console_client: Any) -> None:
    paths = _console_posts(console_client.app)
    # the new routes of the agent screen and admin are among them
    for new in ("/console/api/contacts/1", "/console/api/users/1", "/console/api/tickets/1/urgent"):
        assert new in paths, paths
    assert "/console/api/conversations/1/typing" in paths
    admin = await people("admin1")
    for path in paths:
        for token in ("", "forged-token"):
            status, body = await admin.post(path, {}, csrf=token)
            assert status == 403, (path, token, status, body)


async def test_new_routes_keep_their_roles(people: Any, console_app: Any) -> None:
    op = await people("op1")
    tid, _ = await new_ticket(people, op)
    _, ticket = await op.get(f"/console/api/tickets/{tid}")
    conv = ticket["conversation_id"]
    _, detail = await op.get(f"/console/api/conversations/{conv}")
    contact = detail["contact"]["id"]
    officer = await people("yte1")
    # an agency officer neither edits citizens' contacts, nor types in the live queue,
    # nor marks urgency, nor edits accounts
    assert (await officer.post(f"/console/api/contacts/{contact}", {"full_name": "X"}))[0] == 403
    assert (await officer.post(f"/console/api/conversations/{conv}/typing", {"on": True}))[0] == 403
    assert (await officer.post(f"/console/api/tickets/{tid}/urgent", {"urgent": True}))[0] == 403
    assert (await officer.post(f"/console/api/users/{contact}", {"full_name": "X"}))[0] == 403
    # an operator edits contacts but not accounts; typing needs the conversation taken
    assert (await op.post("/console/api/users/1", {"role": "admin"}))[0] == 403
    assert (await op.post(f"/console/api/conversations/{conv}/typing", {"on": True}))[0] == 409
    status, body = await op.post(f"/console/api/contacts/{contact}", {"full_name": "Nguyễn Văn An"})
    assert status == 200 and body["contact"]["full_name"] == "Nguyễn Văn An"
    # an agency officer's ticket list stays its own, whatever the new filters ask
    yte = await agency_id_of(console_app, "so-yte")
    assert (await op.post(f"/console/api/tickets/{tid}/forward", {"agency_id": yte}))[0] == 200
    search = "/console/api/tickets?q=can%20kiem%20tra&urgent=0"
    _, listed = await officer.get(search)
    assert [t["id"] for t in listed["tickets"]] == [tid]
    _, listed = await (await people("gtvt1")).get(search + f"&agency_id={yte}")
    assert listed["tickets"] == []
