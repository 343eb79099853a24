"""RasaEngine against real loopback servers: unreachable, slow and failing Rasa."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from actions.dialogue import Button
from bot.engine import EngineReply, EngineRequest, EngineUnavailable
from bot.engines.rasa_engine import RasaEngine, parse_rest_reply
from devtools.net import free_port
from faq.bounds import MAX_QUERY_WORDS, MAX_WORD_CHARS

REQ = EngineRequest(7, "conv-7", "webchat", "xin chào", 1, {"phone": "0912345678", "email": None})


def test_parse_rest_reply_texts_buttons_and_handoff() -> None:
    result = parse_rest_reply(
        [
            {"recipient_id": "a", "text": "Câu hỏi gợi ý", "buttons": [{"title": "1. A", "payload": "số 1"}]},
            {"recipient_id": "a", "text": "Mã phiếu 1022-2026-000001"},
            {
                "recipient_id": "a",
                "custom": {"handoff": True, "ticket_code": "1022-2026-000001", "reason": "R"},
            },
        ]
    )
    assert result.replies == [
        EngineReply("Câu hỏi gợi ý", (Button("1. A", "số 1"),)),
        EngineReply("Mã phiếu 1022-2026-000001"),
    ]
    assert result.handoff and result.handoff_reason == "R"
    assert result.meta == {"ticket_code": "1022-2026-000001"}


async def fake_rasa(handler: Any) -> TestServer:
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", handler)
    app.router.add_post("/conversations/{sender}/tracker/events", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_sends_metadata_and_returns_replies() -> None:
    seen: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response([{"recipient_id": "conv-7", "text": "Xin chào"}])

    server = await fake_rasa(handler)
    engine = RasaEngine(str(server.make_url("")), timeout=5)
    try:
        result = await engine.respond(REQ)
    finally:
        await engine.close()
        await server.close()
    assert result.replies == [EngineReply("Xin chào")]
    assert seen == [
        {
            "sender": "conv-7",
            "message": "xin chào",
            "metadata": {
                "conversation_id": 7,
                "channel": "webchat",
                "message_id": 1,
                "attachments": 0,
                "profile": {"phone": "0912345678"},
            },
        }
    ]


async def test_resume_posts_resume_and_action_listen() -> None:
    seen: list[tuple[str, Any, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(
            (request.match_info["sender"], await request.json(), request.query.get("include_events", ""))
        )
        return web.json_response({})

    server = await fake_rasa(handler)
    engine = RasaEngine(str(server.make_url("")), timeout=5)
    try:
        await engine.resume("conv 7/x")
    finally:
        await engine.close()
        await server.close()
    assert seen == [("conv 7/x", [{"event": "resume"}, {"event": "action", "name": "action_listen"}], "NONE")]


async def test_connection_refused_raises_engine_unavailable() -> None:
    engine = RasaEngine(f"http://127.0.0.1:{free_port()}", timeout=2)
    try:
        with pytest.raises(EngineUnavailable) as info:
            await engine.respond(REQ)
    finally:
        await engine.close()
    assert info.value.__cause__ is not None


async def test_timeout_raises_engine_unavailable() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response([])

    server = await fake_rasa(slow)
    engine = RasaEngine(str(server.make_url("")), timeout=0.3)
    try:
        with pytest.raises(EngineUnavailable) as info:
            await engine.respond(REQ)
    finally:
        await engine.close()
        await server.close()
    assert isinstance(info.value.__cause__, TimeoutError)


@pytest.mark.parametrize(("status", "body"), [(500, "boom"), (200, "{not json"), (200, '{"a": 1}')])
async def test_bad_answers_raise_engine_unavailable(status: int, body: str) -> None:
    async def bad(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type="application/json")

    server = await fake_rasa(bad)
    engine = RasaEngine(str(server.make_url("")), timeout=5)
    try:
        with pytest.raises(EngineUnavailable):
            await engine.respond(REQ)
    finally:
        await engine.close()
        await server.close()


async def test_rasa_reads_a_bounded_prefix_of_a_long_message() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append((await request.json())["message"])
        return web.json_response([{"recipient_id": "conv-7", "text": "Đã nhận"}])

    server = await fake_rasa(handler)
    engine = RasaEngine(str(server.make_url("")), timeout=5)
    long_text = "tiêm vắc xin ở đâu " * 5000 + "x" * 4000  # 99,000 characters, then one long word
    try:
        await engine.respond(replace(REQ, text=long_text))
        await engine.respond(REQ)
    finally:
        await engine.close()
        await server.close()
    words = seen[0].split()
    assert len(words) == MAX_QUERY_WORDS and max(map(len, words)) <= MAX_WORD_CHARS
    assert seen[0].startswith("tiêm vắc xin ở đâu tiêm")
    assert seen[1] == REQ.text  # a short question goes as it is
