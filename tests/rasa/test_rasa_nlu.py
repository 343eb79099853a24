"""RasaNlu: dialogue acts and entities from Rasa's ``POST /model/parse``.

Against the REAL trained model in a ``rasa run --enable-api`` process: the act, its
confidence and ranking, entities with offsets into the message, a 100,000-character message
read by its bounded prefix within the timeout, and no tracker written. Against loopback
servers that fail: every failure is an :class:`EngineUnavailable` chained from its cause.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.engine import EngineUnavailable
from bot.engines.rasa_engine import RasaNlu
from devtools.net import free_port
from faq.bounds import MAX_QUERY_WORDS
from tests.rasa.harness import RasaStack

pytestmark = pytest.mark.rasa


async def parse(stack: RasaStack, text: str, timeout: float = 20) -> Any:
    nlu = RasaNlu(stack.rasa_url, timeout=timeout)
    try:
        return await nlu.parse(text)
    finally:
        await nlu.close()


async def test_reads_the_dialogue_act_with_its_ranking(rasa_stack: RasaStack) -> None:
    p = await parse(rasa_stack, "cho tôi gặp cán bộ")
    assert p.source == "rasa" and p.intent == "request_human"
    assert 0.5 < p.confidence <= 1.0
    names = [name for name, _ in p.ranking]
    scores = [score for _, score in p.ranking]
    assert names[0] == "request_human" and len(names) > 1
    assert scores == sorted(scores, reverse=True)
    assert p.score("request_human") == p.confidence and p.score("not_an_intent") == 0.0


async def test_reads_entities_with_offsets_into_the_message(rasa_stack: RasaStack) -> None:
    text = "số điện thoại của tôi là 0987654321"
    p = await parse(rasa_stack, text)
    phones = [e for e in p.entities if e.name == "phone"]
    assert phones, p.entities
    assert phones[0].value == "0987654321"
    assert text[phones[0].start : phones[0].end] == "0987654321"


async def test_a_huge_message_is_read_by_its_bounded_prefix_within_the_timeout(rasa_stack: RasaStack) -> None:
    huge = "cho tôi gặp cán bộ " * 5000 + "x" * 4000  # ~99,000 characters, then one long word
    assert len(huge.split()) > MAX_QUERY_WORDS
    p = await parse(rasa_stack, huge, timeout=3)  # the whole text takes Rasa ~4.7 s here
    assert p.intent is not None


def tracker_rows(stack: RasaStack) -> int:
    db = stack.workdir / "tracker.db"
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


async def test_parsing_writes_no_tracker(rasa_stack: RasaStack) -> None:
    await parse(rasa_stack, "xin chào")  # the tracker store's tables exist after a first call
    before = tracker_rows(rasa_stack)
    for text in ("xin chào", "cảm ơn", "tôi muốn phản ánh đường bị ngập"):
        await parse(rasa_stack, text)
    assert tracker_rows(rasa_stack) == before


async def loopback(handler: Any) -> TestServer:
    app = web.Application()
    app.router.add_post("/model/parse", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_sends_the_bounded_text_and_the_token() -> None:
    seen: list[tuple[Any, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append((await request.json(), request.query.get("token", "")))
        return web.json_response(
            {
                "intent": {"name": "greet", "confidence": 0.9},
                "intent_ranking": [
                    {"name": "greet", "confidence": 0.9},
                    {"name": "thank", "confidence": 0.1},
                ],
                "entities": [{"entity": "person_name", "value": "An", "start": 6, "end": 8}],
            }
        )

    server = await loopback(handler)
    nlu = RasaNlu(str(server.make_url("")), timeout=5, auth_token="tok")
    try:
        p = await nlu.parse("chào, An đây")
        await nlu.parse("x" * 100_000)
    finally:
        await nlu.close()
        await server.close()
    assert seen[0] == ({"text": "chào, An đây"}, "tok")
    assert len(seen[1][0]["text"]) <= 40
    assert (p.intent, p.confidence, p.ranking) == ("greet", 0.9, (("greet", 0.9), ("thank", 0.1)))
    assert [(e.name, e.value, e.start, e.end) for e in p.entities] == [("person_name", "An", 6, 8)]


async def test_connection_refused_is_unavailable_from_its_cause() -> None:
    nlu = RasaNlu(f"http://127.0.0.1:{free_port()}", timeout=2)
    try:
        with pytest.raises(EngineUnavailable) as info:
            await nlu.parse("xin chào")
    finally:
        await nlu.close()
    assert info.value.__cause__ is not None


async def test_timeout_is_unavailable_from_its_cause() -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    server = await loopback(slow)
    nlu = RasaNlu(str(server.make_url("")), timeout=0.3)
    try:
        with pytest.raises(EngineUnavailable) as info:
            await nlu.parse("xin chào")
    finally:
        release.set()
        await nlu.close()
        await server.close()
    assert isinstance(info.value.__cause__, TimeoutError)


@pytest.mark.parametrize(("status", "body"), [(500, "boom"), (200, "{not json"), (200, "[1, 2]")])
async def test_bad_answers_are_unavailable(status: int, body: str) -> None:
    async def bad(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type="application/json")

    server = await loopback(bad)
    nlu = RasaNlu(str(server.make_url("")), timeout=5)
    try:
        with pytest.raises(EngineUnavailable):
            await nlu.parse("xin chào")
    finally:
        await nlu.close()
        await server.close()
