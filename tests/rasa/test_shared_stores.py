"""Two Rasa processes serve one hotline: PostgreSQL tracker store + Redis lock store.

A conversation alternates between the two processes message by message; the contact
form's state lives in PostgreSQL, so either process continues where the other stopped.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.engine import EngineRequest
from bot.engines.rasa_engine import RasaEngine
from bot.rasa_process import ModelInfo, RasaProcess
from devtools.net import free_port
from tests.rasa.harness import RasaStack

pytestmark = [pytest.mark.rasa, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

PG = "postgresql://postgres@127.0.0.1:5432"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def two_rasa(rasa_model: ModelInfo, tmp_path: Path) -> Iterator[tuple[RasaStack, RasaProcess]]:
    database = f"rasa_{uuid.uuid4().hex[:10]}"
    shared = {
        "RASA_TRACKER_DIALECT": "postgresql",
        "RASA_TRACKER_URL": f"{PG}/{database}",
        "RASA_LOCK_STORE": "redis",
        "RASA_REDIS_HOST": "127.0.0.1",
        "RASA_REDIS_PORT": "6379",
        "RASA_REDIS_DB": "3",
        "RASA_LOCK_PREFIX": f"t{uuid.uuid4().hex[:8]}",
    }
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    stack = RasaStack(tmp_path / "a", rasa_model.path)
    stack.process.extra_env = {**stack.process.extra_env, **shared}
    second = RasaProcess(
        rasa_model.path,
        port=free_port(),
        extra_env={"HUB_PORT": str(stack.action_port), **shared},
        run_dir=tmp_path / "b",
        log_path=tmp_path / "b" / "rasa.log",
    )
    try:
        stack.start()
        stack.call(second.start(ready_timeout=300))
        yield stack, second
    finally:
        if stack.thread.is_alive():
            stack.call(second.stop())
        stack.stop()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


async def test_a_conversation_moves_between_processes(two_rasa: tuple[RasaStack, RasaProcess]) -> None:
    stack, second = two_rasa
    engines = [RasaEngine(stack.rasa_url, timeout=20), RasaEngine(second.url, timeout=20)]
    sender = f"shared-{uuid.uuid4().hex[:8]}"
    script = ["cho em gặp cán bộ", "Phạm Thu Trang", "0398765432", "phường Ba Đình", "không có"]
    replies = []
    try:
        for i, text in enumerate(script):
            result = await engines[i % 2].respond(EngineRequest(1, sender, "webchat", text, i, {}))
            replies.append(" ".join(r.text for r in result.replies))
    finally:
        for engine in engines:
            await engine.close()
    assert "họ và tên" in replies[0]
    assert "số điện thoại" in replies[1]  # process B knows the form A started
    assert re.search(r"1022-\d{4}-\d{6}", replies[-1]), replies[-1]
    ticket = stack.services.tickets[-1]
    assert (ticket["full_name"], ticket["phone"], ticket["address"]) == (
        "Phạm Thu Trang",
        "0398765432",
        "phường Ba Đình",
    )
