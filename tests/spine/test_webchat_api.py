"""The web chat's public contract, against SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import wait_for


async def _session(client: Any, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await client.post("/webchat/api/session", json=body or {})
    assert r.status == 200
    data: dict[str, Any] = await r.json()
    assert {"session_token", "conversation_id", "state"} <= set(data)
    return data


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _messages(client: Any, token: str, after: int = 0) -> list[dict[str, Any]]:
    r = await client.get(f"/webchat/api/messages?after={after}", headers=_auth(token))
    assert r.status == 200
    data = await r.json()
    messages: list[dict[str, Any]] = data["messages"]
    return messages


async def test_session_resume_keeps_conversation(client: Any) -> None:
    first = await _session(client)
    again = await _session(client, {"session_token": first["session_token"]})
    assert again == first
    unknown = await _session(client, {"session_token": "not-a-token"})
    assert unknown["session_token"] != first["session_token"]
    assert unknown["conversation_id"] != first["conversation_id"]


async def test_message_is_stored_answered_and_marked_processed(client: Any) -> None:
    s = await _session(client)
    r = await client.post(
        "/webchat/api/messages",
        headers=_auth(s["session_token"]),
        json={"client_id": str(uuid.uuid4()), "text": "Cho tôi hỏi thủ tục cấp giấy phép"},
    )
    assert r.status == 200
    body = await r.json()
    assert body["seq"] == 2 and body["duplicate"] is False  # 1 is the greeting
    msgs = await wait_for(lambda: _replied(client, s["session_token"]))
    assert [m["direction"] for m in msgs][:3] == ["out", "in", "out"]
    assert msgs[0]["act"] == "greet" and msgs[2]["sender"] == "bot"
    assert msgs[1]["processed"] is True and all("processed" not in m for m in msgs if m["direction"] == "out")
    assert [m["seq"] for m in msgs] == list(range(1, len(msgs) + 1))
    # gap filling by after=seq
    assert [m["seq"] for m in await _messages(client, s["session_token"], after=2)] == [
        m["seq"] for m in msgs[2:]
    ]
    # the next message takes the next seq and is handled in turn
    r = await client.post(
        "/webchat/api/messages",
        headers=_auth(s["session_token"]),
        json={"client_id": str(uuid.uuid4()), "text": "Còn ai ở đó không?"},
    )
    second = await r.json()
    assert second["seq"] == len(msgs) + 1

    async def handled() -> bool:
        listed = await _messages(client, s["session_token"], after=second["seq"] - 1)
        return bool(listed) and listed[0]["id"] == second["id"] and listed[0]["processed"] is True

    await wait_for(handled)


async def _replied(client: Any, token: str) -> list[dict[str, Any]] | None:
    msgs = await _messages(client, token)
    return msgs if len(msgs) >= 3 and msgs[1].get("processed") else None


async def test_bad_requests_get_clear_errors_and_store_nothing(client: Any) -> None:
    s = await _session(client)
    token = s["session_token"]
    cases = [
        ({"client_id": "nope", "text": "x"}, "UUID"),
        ({"client_id": str(uuid.uuid4()), "text": "   "}, "trống"),
        ({"client_id": str(uuid.uuid4()), "text": "x" * 4001}, "4000"),
        ({"client_id": str(uuid.uuid4()), "text": 5}, "chuỗi"),
    ]
    for body, fragment in cases:
        r = await client.post("/webchat/api/messages", headers=_auth(token), json=body)
        assert r.status == 400, body
        assert fragment in (await r.json())["error"]
    r = await client.post("/webchat/api/messages", headers=_auth(token), data=b"{not json")
    assert r.status == 400
    r = await client.post(
        "/webchat/api/messages", headers=_auth("forged"), json={"client_id": str(uuid.uuid4()), "text": "x"}
    )
    assert r.status == 401
    r = await client.get("/webchat/api/messages", headers=_auth(token) | {}, params={"after": "abc"})
    assert r.status == 400
    assert [m.get("act") for m in await _messages(client, token)] == ["greet"]  # nothing stored


async def test_websocket_pushes_every_new_message_then_the_end_of_the_turn(client: Any) -> None:
    s = await _session(client)
    ws = await client.ws_connect(f"/webchat/ws?token={s['session_token']}")
    hello = await ws.receive_json(timeout=5)
    assert hello == {
        "type": "hello",
        "conversation_id": s["conversation_id"],
        "events": ["message", "processed", "typing", "resync"],
    }
    r = await client.post(
        "/webchat/api/messages",
        headers=_auth(s["session_token"]),
        json={"client_id": str(uuid.uuid4()), "text": "Xin chào"},
    )
    sent = await r.json()
    pushed: dict[int, dict[str, Any]] = {}
    while True:  # the greeting's delivery update (seq 1) may come first: not ours
        event = await ws.receive_json(timeout=5)
        assert event["conversation_id"] == s["conversation_id"]
        if event["type"] == "processed":
            break
        assert event["type"] == "message"
        if event["message"]["seq"] > 1:
            pushed.setdefault(event["message"]["id"], event["message"])
    # the bot's turn is over: its replies were pushed before, and the event names them
    assert (event["message_id"], event["seq"]) == (sent["id"], sent["seq"])
    assert [m["sender"] for m in pushed.values()] == ["citizen", "bot"]
    assert event["replies"] == [i for i, m in pushed.items() if m["sender"] == "bot"]
    await ws.close()
    bad = await client.get("/webchat/ws?token=forged")
    assert bad.status == 401


async def test_openapi_documents_the_contract(client: Any) -> None:
    spec = await (await client.get("/api/openapi.json")).json()
    paths = spec["paths"]
    for path in ("/webchat/api/session", "/webchat/api/messages", "/webchat/ws"):
        assert path in paths
    assert {"post", "get"} <= set(paths["/webchat/api/messages"])


async def test_pages_are_served(client: Any) -> None:
    page = await client.get("/webchat/")
    assert page.status == 200 and 'lang="vi"' in await page.text()
    widget = await client.get("/webchat/widget.js")
    assert widget.status == 200 and "iframe" in await widget.text()
