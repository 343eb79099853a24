"""Rasa engine benchmark: start-up time, memory, reply latency and throughput (loopback only).

Starts the custom-action endpoint in this process (``actions.server`` with the in-memory
hub services used by the tests) and a real ``rasa run`` child process with the current
model (trained first if the data changed), then drives concurrent web-chat-like
conversations through ``bot.engines.rasa_engine.RasaEngine`` and prints:

* training time (when a model had to be trained), Rasa start-up time to a loaded model;
* Rasa RSS after start-up and after the run;
* p50 / p95 / max reply latency and messages per second.

Bounded: ``--conversations`` x the fixed script, at most ``--concurrency`` at once.

    .venv/bin/python bench/rasa_bench.py --conversations 40 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.server import make_action_handler  # noqa: E402
from bot.engine import EngineRequest  # noqa: E402
from bot.engines.rasa_engine import RasaEngine  # noqa: E402
from bot.rasa_process import RasaProcess, ensure_venv, rss_bytes, train_if_needed  # noqa: E402
from devtools.memory_services import MemoryHubServices  # noqa: E402
from devtools.net import free_port  # noqa: E402

SCRIPT = (
    "xin chào",
    "làm căn cước công dân ở đâu",
    "cho hỏi về tiêm vắc xin",
    "câu thứ hai",
    "xe khach lien tinh co dc chay ko",
    "kết quả xổ số hôm nay",
    "cảm ơn",
    "tạm biệt",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def conversation(engine: RasaEngine, n: int, latencies: list[float]) -> None:
    sender = f"bench-{n}-{time.time_ns()}"
    for i, text in enumerate(SCRIPT):
        started = time.perf_counter()
        result = await engine.respond(EngineRequest(n, sender, "webchat", text, i, {}))
        latencies.append(time.perf_counter() - started)
        if not result.replies:
            raise RuntimeError(f"no reply to {text!r}")


async def run(conversations: int, concurrency: int, retrain: bool) -> None:
    ensure_venv()
    info = train_if_needed(force=retrain)
    if info.trained:
        print(f"training:            {info.seconds:.1f} s")
    action_port, rasa_port = free_port(), free_port()
    app = web.Application()
    app.router.add_post("/rasa/actions", make_action_handler(MemoryHubServices()))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", action_port).start()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        process = RasaProcess(
            info.path,
            port=rasa_port,
            extra_env={"HUB_PORT": str(action_port), "RASA_TRACKER_DB": str(workdir / "tracker.db")},
            run_dir=workdir,
            log_path=workdir / "rasa.log",
        )
        started = time.perf_counter()
        await process.start()
        print(f"rasa start-up:       {time.perf_counter() - started:.1f} s (to a loaded model)")
        assert process.pid is not None
        print(f"rasa RSS idle:       {rss_bytes(process.pid) / 2**20:.0f} MiB")
        engine = RasaEngine(process.url, timeout=30)
        latencies: list[float] = []
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> None:
            async with gate:
                await conversation(engine, n, latencies)

        try:
            await conversation(engine, -1, [])  # warm-up
            t0 = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(conversations)))
            elapsed = time.perf_counter() - t0
            print(f"rasa RSS after run:  {rss_bytes(process.pid) / 2**20:.0f} MiB")
        finally:
            await engine.close()
            t_stop = time.perf_counter()
            await process.stop()
            print(f"rasa stop:           {time.perf_counter() - t_stop:.1f} s")
            await runner.cleanup()
    ms = [x * 1000 for x in latencies]
    print(f"messages:            {len(ms)} in {conversations} conversations, concurrency {concurrency}")
    print(
        f"latency ms:          p50 {percentile(ms, 0.5):.0f}  p95 {percentile(ms, 0.95):.0f}  "
        f"max {max(ms):.0f}  mean {statistics.fmean(ms):.0f}"
    )
    print(f"throughput:          {len(ms) / elapsed:.1f} messages/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--retrain", action="store_true", help="force training to time it")
    args = parser.parse_args()
    asyncio.run(run(max(1, min(args.conversations, 500)), max(1, min(args.concurrency, 64)), args.retrain))


if __name__ == "__main__":
    main()
