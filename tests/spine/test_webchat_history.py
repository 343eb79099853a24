"""The web chat keeps the citizen's whole story, on SQLite and PostgreSQL: the greeting on
open, tap-able buttons, turns marked processed, a close told to the citizen, the same session
going on in a new linked conversation, the agency's later answer to the closed one."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from actions.texts import greeting
from bot.greeting import hotline_info, privacy_notice
from bot.hub import HUB
from handoff.notify import Step, tell_citizen
from handoff.tickets import create_ticket
from storage.models import Conversation, Message, OutboxItem
from storage.record import conversations as svc
from storage.record.outbound import add_reply
from tests.conftest import wait_for


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _session(client: Any, token: str | None = None) -> dict[str, Any]:
    r = await client.post("/webchat/api/session", json={"session_token": token} if token else {})
    assert r.status == 200
    body: dict[str, Any] = await r.json()
    return body


async def _history(client: Any, token: str, query: str = "") -> dict[str, Any]:
    r = await client.get(f"/webchat/api/messages{query}", headers=_auth(token))
    assert r.status == 200
    body: dict[str, Any] = await r.json()
    return body


async def _say(client: Any, token: str, text: str) -> dict[str, Any]:
    r = await client.post(
        "/webchat/api/messages", headers=_auth(token), json={"client_id": str(uuid.uuid4()), "text": text}
    )
    assert r.status == 200
    sent: dict[str, Any] = await r.json()

    async def handled() -> bool:
        msgs = (await _history(client, token))["messages"]
        return any(m["id"] == sent["id"] and m["processed"] for m in msgs)

    await wait_for(handled)
    return sent


async def test_the_chat_opens_with_the_greeting(client: Any, hub_app: Any) -> None:
    hub = hub_app[HUB]
    s = await _session(client)
    assert s["state"] == "bot"
    async with hub.sm() as db:
        expected = greeting(await hotline_info(db, hub.settings.hotline_name, hub.settings.hotline_phone))
        conv = await db.get(Conversation, s["conversation_id"])
    assert conv is not None and (conv.dialogue or {}).get("greeted") is True
    body = await _history(client, s["session_token"])
    (first,) = body["messages"]
    assert (first["direction"], first["sender"], first["act"]) == ("out", "bot", "greet")
    told = f"{expected.text}\n\n{privacy_notice(hub.settings)}"  # with the privacy notice (issue 18)
    assert first["text"] == told and first["conversation_id"] == s["conversation_id"]
    assert first["buttons"] == [{"title": b.title, "payload": b.payload} for b in expected.buttons]
    # a reload resumes: same conversation, greeted once
    again = await _session(client, s["session_token"])
    assert again["conversation_id"] == s["conversation_id"]
    assert len((await _history(client, s["session_token"]))["messages"]) == 1
    # the relay delivers the greeting like any reply: the page reads it from the database,
    # so the row is settled with no send attempt (nothing goes out, nothing can fail)
    await wait_for(lambda: _status_of(client, s["session_token"], first["id"]), timeout=10)
    async with hub.sm() as db:
        item = (await db.execute(select(OutboxItem).where(OutboxItem.message_id == first["id"]))).scalar_one()
    assert (item.done, item.attempts, item.sending_started_at) == (True, 0, None)


async def _status_of(client: Any, token: str, message_id: int) -> bool:
    msgs = (await _history(client, token))["messages"]
    return any(m["id"] == message_id and m["status"] == "delivered" for m in msgs)


async def test_history_across_a_close_and_the_agency_answer(client: Any, hub_app: Any) -> None:
    hub = hub_app[HUB]
    s = await _session(client)
    token, first_conv = s["session_token"], s["conversation_id"]
    asked = await _say(client, token, "Cho tôi hỏi thủ tục cấp giấy phép xây dựng")
    assert asked["conversation_id"] == first_conv
    before_close = (await _history(client, token))["messages"]
    assert [m["direction"] for m in before_close][:2] == ["out", "in"]
    assert before_close[1]["processed"] is True and "processed" not in before_close[0]
    # a ticket on it, then an operator closes it: the citizen is told
    now = hub.clock.now()
    async with hub.sm() as db, db.begin():
        conv = await db.get(Conversation, first_conv)
        ticket = await create_ticket(db, conv, content="Hỏi thủ tục cấp phép", now=now)
        code = ticket.code
        await svc.take_over(db, conv, 1, now)
        await svc.close(db, conv, now, hotline_name=hub.settings.hotline_name)
    hub.relay.notify()
    body = await _history(client, token)
    assert (body["conversation_id"], body["state"]) == (first_conv, "closed")
    notice = body["messages"][-1]
    assert (notice["act"], notice["sender"]) == ("closed", "bot")
    # the same session goes on: the next message opens a new conversation linked to it
    again = await _say(client, token, "Tôi muốn hỏi thêm về lệ phí")
    second_conv = again["conversation_id"]
    assert second_conv != first_conv
    body = await _history(client, token)
    assert body["conversation_id"] == second_conv and body["state"] != "closed"
    assert [(c["id"], c["previous_id"]) for c in body["conversations"]] == [
        (first_conv, None),
        (second_conv, first_conv),
    ]
    ids = [m["id"] for m in body["messages"]]
    assert ids == sorted(ids)
    assert [m["id"] for m in body["messages"][: len(before_close) + 1]] == [
        *(m["id"] for m in before_close),
        notice["id"],
    ]
    later = body["messages"][len(before_close) + 1 :]
    assert later[0]["id"] == again["id"] and {m["conversation_id"] for m in later} == {second_conv}
    assert all(m.get("act") != "greet" for m in later)  # greeted once is enough
    # the agency's answer reaches the closed conversation and the citizen's history
    async with hub.sm() as db, db.begin():
        ticket_row = await db.get(type(ticket), ticket.id)
        answer = await tell_citizen(
            db, ticket_row, Step.ANSWERED, hub.clock.now(), text="Hồ sơ gồm đơn và bản vẽ"
        )
        assert answer is not None
    newest = await _history(client, token, f"?after_id={body['messages'][-1]['id']}")
    (shown,) = newest["messages"]
    assert (shown["id"], shown["conversation_id"], shown["ticket_code"]) == (answer.id, first_conv, code)
    # the old per-conversation view still works: ?after=SEQ is the current conversation
    legacy = await _history(client, token, "?after=0")
    assert {m["conversation_id"] for m in legacy["messages"]} == {second_conv}
    assert legacy["conversation_id"] == second_conv


async def test_buttons_stored_as_plain_strings_still_read_as_buttons(client: Any, hub_app: Any) -> None:
    hub = hub_app[HUB]
    s = await _session(client)
    async with hub.sm() as db, db.begin():
        conv = await db.get(Conversation, s["conversation_id"])
        await add_reply(
            db, conv, "Chọn 1 hoặc 2", hub.clock.now(), meta={"buttons": ["1", "2"], "faq_id": "q7"}
        )
    msgs = (await _history(client, s["session_token"]))["messages"]
    assert msgs[-1]["buttons"] == [{"title": "1", "payload": "1"}, {"title": "2", "payload": "2"}]
    assert msgs[-1]["faq_id"] == "q7"
    async with hub.sm() as db:
        count = len(
            (await db.execute(select(Message).where(Message.conversation_id == s["conversation_id"]))).all()
        )
    assert count == 2


async def test_a_long_history_pages_by_message_id(client: Any, hub_app: Any) -> None:
    hub = hub_app[HUB]
    s = await _session(client)
    async with hub.sm() as db, db.begin():
        conv = await db.get(Conversation, s["conversation_id"])
        for n in range(510):
            await add_reply(db, conv, f"tin {n}", hub.clock.now())
    page = await _history(client, s["session_token"])
    assert len(page["messages"]) == 500 and page["more"] is True
    rest = await _history(client, s["session_token"], f"?after_id={page['messages'][-1]['id']}")
    assert len(rest["messages"]) == 11 and rest["more"] is False
    assert rest["messages"][-1]["text"] == "tin 509"
    bad = await client.get("/webchat/api/messages?after_id=-1", headers=_auth(s["session_token"]))
    assert bad.status == 400
