"""The actions the console offers on a ticket (``actions`` in the ticket's JSON) follow the
workflow's state diagram for each status and role (issue 14): walked through the API from
new to closed, and through unclear and refused."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import agency_id_of, new_ticket

STAFF_ON_NEW = ["forward", "unclear", "refuse", "answer", "close", "urgent"]
AT_AGENCY = ["progress", "phone_answered", "answer", "more_info", "send_back"]
STAFF_AT_AGENCY = [*AT_AGENCY, "urgent"]  # oversight: the agency's actions and the urgent mark


async def _actions(who: Any, tid: int, status: str) -> list[str] | None:
    """The ticket's actions for this user, or None when the user may not see it."""
    code, body = await who.get(f"/console/api/tickets/{tid}")
    if code == 403:
        return None
    assert code == 200 and body["status"] == status, body
    return list(body["actions"])


async def _expect(people_by_name: dict[str, Any], tid: int, status: str, table: dict[str, Any]) -> None:
    for name, expected in table.items():
        assert await _actions(people_by_name[name], tid, status) == expected, (status, name)


async def test_actions_follow_the_diagram_for_each_status_and_role(people: Any, console_app: Any) -> None:
    who = {n: await people(n) for n in ("op1", "sv1", "admin1", "yte1", "gtvt1")}
    op, yte = who["op1"], who["yte1"]
    tid, _ = await new_ticket(people, op)
    staff_new = {"op1": STAFF_ON_NEW, "sv1": STAFF_ON_NEW, "admin1": STAFF_ON_NEW}
    await _expect(who, tid, "new", {**staff_new, "yte1": None, "gtvt1": None})

    yte_id = await agency_id_of(console_app, "so-yte")
    assert (await op.post(f"/console/api/tickets/{tid}/forward", {"agency_id": yte_id}))[0] == 200
    at_agency = {
        "op1": ["urgent"],
        "sv1": STAFF_AT_AGENCY,
        "admin1": STAFF_AT_AGENCY,
        "yte1": AT_AGENCY,
        "gtvt1": None,
    }
    await _expect(who, tid, "forwarded", at_agency)

    progress = {"text": "Đang xác minh", "appointment_at": "2099-03-05T10:00"}
    assert (await yte.post(f"/console/api/tickets/{tid}/progress", progress))[0] == 200
    await _expect(who, tid, "in_progress", at_agency)

    assert (await yte.post(f"/console/api/tickets/{tid}/phone_answered", {"text": "Đã gọi"}))[0] == 200
    answer_only = {
        "op1": ["urgent"],
        "sv1": ["answer", "urgent"],
        "admin1": ["answer", "urgent"],
        "yte1": ["answer"],
        "gtvt1": None,
    }
    await _expect(who, tid, "phone_answered", answer_only)

    assert (await yte.post(f"/console/api/tickets/{tid}/answer", {"text": "Trả lời"}))[0] == 200
    closable = {"op1": ["close"], "sv1": ["close"], "admin1": ["close"], "yte1": [], "gtvt1": None}
    await _expect(who, tid, "answered", closable)

    assert (await op.post(f"/console/api/tickets/{tid}/close", {}))[0] == 200
    await _expect(who, tid, "closed", {"op1": [], "sv1": [], "admin1": [], "yte1": [], "gtvt1": None})

    # new ──unclear──▶ unclear: the operator may only refuse; oversight forwards or assigns
    t2, _ = await new_ticket(people, op, "Không rõ đơn vị")
    assert (await op.post(f"/console/api/tickets/{t2}/unclear", {"note": "Không rõ"}))[0] == 200
    oversight = ["forward", "refuse", "assign", "urgent"]
    await _expect(
        who, t2, "unclear", {"op1": ["refuse", "urgent"], "sv1": oversight, "admin1": oversight, "yte1": None}
    )

    # new ──refuse──▶ refused: only closing is left
    t3, _ = await new_ticket(people, op, "Xin số đề")
    assert (await op.post(f"/console/api/tickets/{t3}/refuse", {"reason": "Ngoài phạm vi"}))[0] == 200
    await _expect(who, t3, "refused", {"op1": ["close"], "sv1": ["close"], "yte1": None})


async def test_every_offered_action_is_one_the_server_accepts(people: Any, console_app: Any) -> None:
    """What is not offered is refused: the diagram and the transitions agree."""
    op = await people("op1")
    tid, _ = await new_ticket(people, op)
    yte_id = await agency_id_of(console_app, "so-yte")
    assert (await op.post(f"/console/api/tickets/{tid}/forward", {"agency_id": yte_id}))[0] == 200
    assert await _actions(op, tid, "forwarded") == ["urgent"]
    for action, body in (("refuse", {"reason": "x"}), ("unclear", {"note": "x"}), ("answer", {"text": "x"})):
        assert (await op.post(f"/console/api/tickets/{tid}/{action}", body))[0] in (403, 409), action
