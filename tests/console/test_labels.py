"""The one translation table (handoff/labels.py): every enum value a person can see has a
Vietnamese label (the audit and ticket-history actions found in the code itself), and the
console API and the records export use it."""

from __future__ import annotations

import ast
import csv
import io
import uuid
from pathlib import Path
from typing import Any

from connectors.base import DeliveryStatus, SenderRole
from connectors.registry import BUILTIN
from handoff import labels
from handoff.labels import label
from handoff.workflow_base import STATUS_LABELS
from storage.models import ConversationState
from storage.models_console import Role, TicketStatus
from tests.conftest import wait_for, webchat_session
from tests.console.conftest import agency_id_of

ROOT = Path(__file__).resolve().parents[2]

# call name -> index of the positional argument that is an audit action
AUDIT_CALLS = {
    "audit_action": 3,
    "audit_view": 3,
    "_edit": 2,
    "_run": 1,
    "_post_text": 1,
    "_end_hold": 3,
    "_audit": 2,
    "_change": 1,
}
# call name -> index of the positional argument that is a ticket event action
EVENT_CALLS = {"move": 4, "_forward": 8}


def _strings(node: ast.AST | None) -> set[str]:
    """The string constants a value can be (a literal, either side of ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def _literals(folders: tuple[str, ...], positional: dict[str, int], keyword: set[str]) -> set[str]:
    found: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Assign) and any(  # action = "a" if c else "b"; f(..., action)
                    isinstance(t, ast.Name) and t.id == "action" for t in node.targets
                ):
                    found |= _strings(node.value)
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in positional and len(node.args) > positional[name]:
                    found |= _strings(node.args[positional[name]])
                for kw in node.keywords:
                    if kw.arg == "action" and name in keyword:
                        found |= _strings(kw.value)
    return found


def test_the_code_finds_the_actions_it_must() -> None:
    audit = _literals(("bot",), AUDIT_CALLS, {"record"})
    assert {"view_ticket", "login", "create_ticket", "hand_back", "faq.import", "activate_user"} <= audit
    events = _literals(("handoff",), EVENT_CALLS, {"TicketEvent"})
    assert {"received", "forwarded", "progress", "call_transferred", "overdue"} <= events


def test_every_audit_action_in_the_code_has_a_label() -> None:
    from bot.console.tickets_api import ACTIONS

    audit = _literals(("bot",), AUDIT_CALLS, {"record"})
    audit |= set(ACTIONS) | {"save_agency", "save_domain"}  # _run(request, name) and f"save_{kind}"
    missing = sorted(a for a in audit if a not in labels.AUDIT_ACTION)
    assert not missing, missing


def test_every_ticket_event_action_in_the_code_has_a_label() -> None:
    from handoff.tickets import NOTE_ACTION

    events = _literals(("handoff",), EVENT_CALLS, {"TicketEvent"}) | {NOTE_ACTION}
    missing = sorted(e for e in events if e not in labels.TICKET_EVENT)
    assert not missing, missing


def test_every_enum_value_has_a_vietnamese_label() -> None:
    for kind, values in (
        ("status", [s.value for s in TicketStatus]),
        ("channel", [*BUILTIN, "phone"]),
        ("role", [r.value for r in Role]),
        ("conversation_state", [c.value for c in ConversationState]),
        ("sender", [r.value for r in SenderRole]),
        ("delivery", [d.value for d in DeliveryStatus]),
    ):
        for value in values:
            shown = label(kind, value)
            assert shown and shown != value, (kind, value)
    assert label("channel", "zalo:oa-2") == "Zalo"  # a channel's second account
    assert label("channel", "webchat") == "Trò chuyện trên Web"
    assert label("channel", "email") == "Thư điện tử"
    assert STATUS_LABELS is labels.STATUS  # one table
    assert label("status", "no-such") == "no-such"  # unknown: the value itself
    json_table = labels.as_json()
    assert set(json_table) == set(labels.TABLES) and json_table["status"]["new"] == "mới tiếp nhận"


async def test_audit_log_labels_and_export_in_vietnamese(people: Any, console_app: Any) -> None:
    op = await people("op1")
    citizen = await people()
    sess = await webchat_session(citizen.http, citizen.base)
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": "Cho tôi gặp cán bộ"},
        headers={"Authorization": f"Bearer {sess['session_token']}"},
    ) as r:
        assert r.status == 200

    async def waiting() -> bool:
        _, q = await op.get("/console/api/queue")
        return sess["conversation_id"] in [c["id"] for c in q["waiting"]]

    await wait_for(waiting)
    conv = sess["conversation_id"]
    await op.post(f"/console/api/conversations/{conv}/take")
    _, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": "Hỏi về học phí"})
    tid, code = body["ticket"]["id"], body["ticket"]["code"]
    status, body = await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": await agency_id_of(console_app, "so-yte")}
    )
    assert status == 200, body
    _, detail = await op.get(f"/console/api/tickets/{tid}")
    assert [h["action"] for h in detail["history"]][:2] == ["received", "forwarded"]

    sv = await people("sv1")
    status, table = await sv.get("/console/api/labels")
    assert status == 200 and table == labels.as_json()
    assert (await (await people()).get("/console/api/labels"))[0] == 401

    status, body = await sv.get("/console/api/audit")
    assert status == 200
    entries = body["entries"]
    for e in entries:
        assert e["action_label"] == labels.AUDIT_ACTION[e["action"]], e
    forward = next(e for e in entries if e["action"] == "forward")
    assert forward["action_label"] == "chuyển phiếu tới đơn vị"
    assert forward["object_type"] == "ticket" and forward["object_id"] == str(tid)  # raw kept
    assert forward["object_label"] == f"phiếu {code}"
    login = next(e for e in entries if e["action"] == "login" and e["username"] == "op1")
    assert login["object_label"] == "tài khoản Cán bộ op1"
    take = next(e for e in entries if e["action"] == "take_over")
    assert take["object_label"] == f"hội thoại #{conv}"

    async with sv.http.get(sv.base + "/console/api/tickets/export.csv") as r:
        rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    assert len(rows[0]) == 12 and rows[0][4] == "Kênh" and rows[0][8] == "Trạng thái"
    assert rows[1][0] == code
    assert rows[1][4] == "Trò chuyện trên Web"  # not "webchat"
    assert rows[1][8] == "đã chuyển đơn vị"  # not "forwarded"
