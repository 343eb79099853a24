"""Drive N web-chat conversations concurrently through the hub's public HTTP API and print
reply latency (p50/p95/p99) and throughput.

Each conversation: POST /session, open the WebSocket, then send ``--messages`` citizen
messages one after another, each waiting for the bot's reply pushed on the socket. Reply
latency = POST sent → bot reply received. Loopback only.

    # against a running hub
    .venv/bin/python bench/webchat_bench.py --url http://127.0.0.1:8022 -n 50
    # or let the script start one (fresh database) and stop it afterwards
    .venv/bin/python bench/webchat_bench.py --start sqlite -n 50
    .venv/bin/python bench/webchat_bench.py --start postgres -n 50
    # hub + Rasa (python -m bot run: Rasa trained if needed, started, waited for), 4 turns each
    .venv/bin/python bench/webchat_bench.py --start sqlite --rasa --faq ../shared/eval/dev/faq.csv -n 20 -m 4

Without an engine that keeps answering (no FAQ loaded), a conversation is handed to a
human after its first message: then only the first reply is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.net import free_port  # noqa: E402

QUESTIONS = [  # a greeting, then questions the dev FAQ answers (--faq ../shared/eval/dev/faq.csv)
    "xin chào",
    "Tiệm cắt tóc, gội đầu có được hoạt động không?",
    "phong tap gym co dc mo cua ko",
    "mũi 1 astra mũi 2 moderna có sao ko",
]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def conversation(http: aiohttp.ClientSession, base: str, messages: int, timeout: float) -> list[float]:
    async with http.post(f"{base}/webchat/api/session", json={}) as r:
        s = await r.json()
    token = s["session_token"]
    latencies: list[float] = []
    async with http.ws_connect(f"{base}/webchat/ws?token={token}") as ws:
        await ws.receive_json(timeout=timeout)  # hello
        for i in range(messages):
            started = time.perf_counter()
            async with http.post(
                f"{base}/webchat/api/messages",
                headers={"Authorization": f"Bearer {token}"},
                json={"client_id": str(uuid.uuid4()), "text": QUESTIONS[i % len(QUESTIONS)]},
            ) as r:
                if r.status != 200:
                    raise RuntimeError(f"POST failed: {r.status} {await r.text()}")
            try:
                while True:
                    event = await ws.receive_json(timeout=timeout)
                    if event.get("type") == "message" and event["message"]["direction"] == "out":
                        latencies.append(time.perf_counter() - started)
                        break
            except TimeoutError:
                break  # the engine handed off: no more bot replies in this conversation
    return latencies


def database(kind: str, workdir: Path) -> tuple[str, str]:
    """A fresh database for a benchmark: SQLite in ``workdir`` or a new PostgreSQL one
    (its name is returned second, for :func:`drop_database`)."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}", ""
    name = f"hubbench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-d", "test", "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return f"postgresql+asyncpg://127.0.0.1:5432/{name}", name


def drop_database(name: str) -> None:
    if name:
        sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        subprocess.run(["psql", "-h", "127.0.0.1", "-d", "test", "-qc", sql], check=False)


def start_hub(
    kind: str, workdir: Path, *, rasa: bool = False, faq: str | None = None
) -> tuple[subprocess.Popen[bytes], str, str]:
    """``python -m bot serve`` (or ``python -m bot run`` with Rasa) on a fresh database;
    returns once the hub listens (with Rasa: once Rasa is ready, the hub waits for it)."""
    port = free_port()
    db, dropper = database(kind, workdir)
    creds = workdir / "credentials.yml"
    creds.write_text("webchat:\n  enabled: true\n", encoding="utf-8")
    env = {
        **os.environ,
        "HUB_DATABASE_URL": db,
        "HUB_PORT": str(port),
        "HUB_CREDENTIALS_FILE": str(creds),
        "HUB_LOG_LEVEL": "INFO" if rasa else "WARNING",
    }
    if faq:
        env["HUB_FAQ_PATH"] = faq
    if rasa:
        env["RASA_PORT"] = str(free_port())
    log = (workdir / "hub.log").open("wb")
    command = [sys.executable, "-m", "bot", "run" if rasa else "serve"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + (600 if rasa else 60)
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise SystemExit("hub did not start: see " + str(workdir / "hub.log"))
    return proc, f"http://127.0.0.1:{port}", dropper


async def run(base: str, n: int, messages: int, timeout: float) -> dict[str, Any]:
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn) as http:
        started = time.perf_counter()
        results = await asyncio.gather(*(conversation(http, base, messages, timeout) for _ in range(n)))
        elapsed = time.perf_counter() - started
    lat = [x for r in results for x in r]
    sent = n * messages
    return {
        "conversations": n,
        "citizen_messages": sent,
        "bot_replies": len(lat),
        "elapsed_s": round(elapsed, 3),
        "messages_per_s": round((sent + len(lat)) / elapsed, 1),
        "citizen_messages_per_s": round(sent / elapsed, 1),
        "reply_latency_ms": {
            "p50": round(percentile(lat, 0.50) * 1000, 1),
            "p95": round(percentile(lat, 0.95) * 1000, 1),
            "p99": round(percentile(lat, 0.99) * 1000, 1),
            "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None,
        },
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(x) for x in out.stdout.split()]


def processes(proc: subprocess.Popen[bytes], started: float, ready: float, log: Path) -> dict[str, Any]:
    """Start-up time and memory of the hub and (when running) its Rasa child."""
    info: dict[str, Any] = {"hub": {"pid": proc.pid, "rss_mb": rss_mb(proc.pid)}}
    text = log.read_text(errors="replace")
    rasa = [c for c in children(proc.pid) if "rasa" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")]
    if rasa:
        m = re.search(r"Rasa sẵn sàng sau ([0-9.]+) s", text)
        info["rasa"] = {
            "pid": rasa[0],
            "rss_mb": rss_mb(rasa[0]),
            "ready_s": float(m.group(1)) if m else None,
        }
        trained = re.search(r"Rasa model trained in ([0-9.]+) s", text)
        info["rasa"]["trained_s"] = float(trained.group(1)) if trained else "model up to date"
    info["hub"]["listening_after_s"] = round(ready - started, 1)
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running hub, e.g. http://127.0.0.1:8022")
    p.add_argument("--start", choices=["sqlite", "postgres"], help="start a hub on a fresh database")
    p.add_argument("-n", "--conversations", type=int, default=50)
    p.add_argument("-m", "--messages", type=int, default=1, help="messages per conversation")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for a reply")
    p.add_argument("--rasa", action="store_true", help="hub + Rasa (python -m bot run), FAQ from --faq")
    p.add_argument("--faq", help="spreadsheet the hub loads at start (HUB_FAQ_PATH)")
    args = p.parse_args()
    if not args.url and not args.start:
        p.error("give --url or --start")
    proc = None
    dropper = ""
    with tempfile.TemporaryDirectory() as tmp:
        base = args.url
        if args.start:
            started = time.monotonic()
            proc, base, dropper = start_hub(args.start, Path(tmp), rasa=args.rasa, faq=args.faq)
            ready = time.monotonic()
        try:
            out = asyncio.run(run(base, args.conversations, args.messages, args.timeout))
            out["database"] = args.start or "external"
            out["engine"] = "rasa" if args.rasa else "faq"
            if proc is not None:
                out["processes"] = processes(proc, started, ready, Path(tmp) / "hub.log")
            print(json.dumps(out, indent=2, ensure_ascii=False))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(60)
            drop_database(dropper)


if __name__ == "__main__":
    main()
