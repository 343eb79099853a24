"""bot.rasa_process: change detection, endpoint rendering, readiness polling."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import rasa_process
from bot.rasa_process import ModelInfo, RasaProcess, RasaSetupError, inputs_hash, render_endpoints
from devtools.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]


def test_inputs_hash_changes_only_with_the_inputs(tmp_path: Path) -> None:
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "nlu_data", tmp_path / "nlu_data")
    names = ("config.yml", "domain.yml", "nlu_data")
    first = inputs_hash(tmp_path, names)
    assert inputs_hash(tmp_path, names) == first
    (tmp_path / "nlu_data" / "__pycache__").mkdir()
    (tmp_path / "nlu_data" / "__pycache__" / "x.pyc").write_bytes(b"noise")
    assert inputs_hash(tmp_path, names) == first
    nlu = tmp_path / "nlu_data" / "nlu.yml"
    nlu.write_text(nlu.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert inputs_hash(tmp_path, names) != first


def test_endpoints_default_to_loopback_sqlite_and_in_memory_lock() -> None:
    rendered = render_endpoints(ROOT / "endpoints.yml", {})
    assert rendered["action_endpoint"] == {"url": "http://127.0.0.1:8022/rasa/actions"}
    assert rendered["tracker_store"] == {"type": "SQL", "dialect": "sqlite", "db": "var/rasa/tracker.db"}
    assert rendered["lock_store"] == {"type": "in_memory"}


def test_endpoints_for_postgres_and_redis() -> None:
    env = {
        "HUB_PORT": "9000",
        "RASA_TRACKER_DIALECT": "postgresql",
        "RASA_TRACKER_URL": "postgresql://rasa:secret@127.0.0.1:5432/rasa",
        "RASA_LOCK_STORE": "redis",
        "RASA_REDIS_PORT": "6380",
    }
    rendered = render_endpoints(ROOT / "endpoints.yml", env)
    assert rendered["action_endpoint"]["url"] == "http://127.0.0.1:9000/rasa/actions"
    assert rendered["tracker_store"]["dialect"] == "postgresql"
    assert rendered["tracker_store"]["url"] == env["RASA_TRACKER_URL"]
    assert rendered["lock_store"] == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6380,
        "db": 1,
        "key_prefix": "hub1022",
    }


async def status_server(
    body: dict[str, Any], status: int = 200, parsed: list[str] | None = None
) -> TestServer:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    async def parse(request: web.Request) -> web.Response:
        text = (await request.json())["text"]
        if parsed is not None:
            parsed.append(text)
        return web.json_response({"text": text, "intent": {"name": "greet", "confidence": 1.0}})

    app = web.Application()
    app.router.add_get("/status", handler)
    app.router.add_post("/model/parse", parse)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_wait_ready_returns_once_a_model_is_loaded_and_has_parsed_once() -> None:
    parsed: list[str] = []
    body = {"model_file": "hotline-x.tar.gz", "num_active_training_jobs": 0}
    server = await status_server(body, parsed=parsed)
    clock = FakeClock(0.0)
    process = RasaProcess(Path("m.tar.gz"), port=server.port or 0, clock=clock, sleep=clock.sleep)
    try:
        await process.wait_ready(timeout=10)
    finally:
        await server.close()
    assert process.ready_seconds is not None
    assert parsed == ["xin chào"]  # the first citizen does not pay for Rasa's graph building


async def test_wait_ready_times_out_without_a_model() -> None:
    server = await status_server({"model_file": None})
    clock = FakeClock(0.0)
    process = RasaProcess(Path("m.tar.gz"), port=server.port or 0, clock=clock, sleep=clock.sleep)
    try:
        with pytest.raises(RasaSetupError, match="not ready after 30 s"):
            await process.wait_ready(timeout=30)
    finally:
        await server.close()
    assert 30 < clock.seconds <= 31


@pytest.mark.rasa
def test_no_retraining_when_nothing_changed(rasa_model: ModelInfo) -> None:
    again = rasa_process.train_if_needed()
    assert not again.trained and again.path == rasa_model.path
    meta = again.path.with_name(again.path.name.removesuffix(".tar.gz") + ".json")
    assert again.digest in meta.read_text()
