"""The operator queue shows how far a contact form got; an operator takes the conversation
over mid-form (the bot falls silent) and closes it: the citizen is told, and their next
message opens a new conversation linked to the closed one."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from actions.dialogue import DialogueState, FormState
from bot.hub import HUB
from storage.models import Conversation, OutboxItem
from storage.record import conversations as svc
from tests.conftest import wait_for, webchat_session


async def _form_in_progress(app: Any, conv_id: int, step: str, values: dict[str, str]) -> None:
    """What the conversation engine stores when the form asks ``step`` (queued at once)."""
    hub = app[HUB]
    state = DialogueState(
        greeted=True,
        form=FormState(reason="request_human", step=step, matter="Đèn đường hỏng", values=values),
    )
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        svc.set_dialogue(conv, state.to_json())
        await svc.to_waiting(s, conv, hub.clock.now(), "Người dân muốn gặp cán bộ")


async def _waiting(op: Any, conv_id: int) -> dict[str, Any]:
    status, q = await op.get("/console/api/queue")
    assert status == 200
    (item,) = [c for c in q["waiting"] if c["id"] == conv_id]
    return dict(item)


async def test_queue_shows_the_form_progress_and_an_operator_takes_it_mid_form(
    people: Any, console_app: Any
) -> None:
    op = await people("op1")
    citizen = await people()
    sess = await webchat_session(citizen.http, citizen.base)
    conv_id, auth = sess["conversation_id"], {"Authorization": f"Bearer {sess['session_token']}"}

    await _form_in_progress(console_app, conv_id, "matter", {})
    assert (await _waiting(op, conv_id))["form"]["text"] == "Đang hỏi: nội dung (0/4)"
    await _form_in_progress(console_app, conv_id, "phone", {"full_name": "Nguyễn Văn An"})
    item = await _waiting(op, conv_id)
    assert item["form"] == {
        "step": "phone",
        "reason": "request_human",
        "position": 2,
        "total": 4,
        "text": "Đang hỏi: số điện thoại (2/4)",
    }
    assert item["handoff_reason"] == "Người dân muốn gặp cán bộ"
    _, detail = await op.get(f"/console/api/conversations/{conv_id}")
    assert detail["conversation"]["form"]["text"] == "Đang hỏi: số điện thoại (2/4)"

    # taken over mid-form: the operator holds it, the bot does not answer any more
    assert (await op.post(f"/console/api/conversations/{conv_id}/take"))[0] == 200
    assert (await op.post(f"/console/api/conversations/{conv_id}/take"))[0] == 409
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": "0912345678"},
        headers=auth,
    ) as r:
        sent = await r.json()

    async def handled() -> list[dict[str, Any]] | None:
        async with citizen.http.get(citizen.base + "/webchat/api/messages", headers=auth) as r:
            msgs: list[dict[str, Any]] = (await r.json())["messages"]
        return msgs if any(m["id"] == sent["id"] and m["processed"] for m in msgs) else None

    msgs = await wait_for(handled)
    assert msgs[-1]["id"] == sent["id"]  # nothing from the bot after it

    # closed by the operator: the citizen is told through the channel (outbox → delivered)
    assert (await op.post(f"/console/api/conversations/{conv_id}/close"))[0] == 200
    assert (await op.post(f"/console/api/conversations/{conv_id}/close"))[0] == 409

    async def told() -> dict[str, Any] | None:
        async with citizen.http.get(citizen.base + "/webchat/api/messages", headers=auth) as r:
            body = await r.json()
        last: dict[str, Any] = body["messages"][-1]
        return last if last.get("act") == "closed" and last["status"] == "delivered" else None

    notice = await wait_for(told)
    async with console_app[HUB].sm() as s:
        outbox = (
            await s.execute(select(OutboxItem).where(OutboxItem.message_id == notice["id"]))
        ).scalar_one()
        conv = await s.get(Conversation, conv_id)
    assert outbox.done and outbox.channel == "webchat"
    assert conv is not None and conv.state == "closed" and conv.assignee_id is None
    _, detail = await op.get(f"/console/api/conversations/{conv_id}")
    texts = [m["text"] for m in detail["messages"]]
    assert notice["text"] in texts and any("đóng hội thoại" in t for t in texts)

    # the citizen writes again: a new conversation, linked, in the console's history
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": "Cho tôi hỏi thêm"},
        headers=auth,
    ) as r:
        again = await r.json()
    assert again["conversation_id"] != conv_id
    _, detail = await op.get(f"/console/api/conversations/{again['conversation_id']}")
    assert detail["conversation"]["previous_id"] == conv_id
    assert [(c["id"], c["previous_id"]) for c in detail["conversations"]] == [
        (conv_id, None),
        (again["conversation_id"], conv_id),
    ]
