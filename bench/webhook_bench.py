"""Webhook acknowledgement latency and ingest throughput per channel, against a running
hub process (started here on a fresh database), all on loopback.

* Zalo and Facebook: N signed deliveries (one citizen message each, distinct senders) are
  POSTed ``--concurrency`` at a time by the channel simulators' own signing code; latency is
  request sent → HTTP 200 (the message is stored when the hub answers 200).
* E-mail: N mails are put in a real Dovecot mailbox, then the hub's poller is started;
  throughput is mails stored per second (first to last), read from the database.

    .venv/bin/python bench/webhook_bench.py --db sqlite -n 400 -c 20
    .venv/bin/python bench/webhook_bench.py --db postgres -n 400 -c 20

``--mode open`` and ``--mode saturate`` (PostgreSQL + Redis, the hub's conversation engine
answering from the dev FAQ with its semantic model, ``bench/webhook_topology.py``):

* open: ``--rate`` deliveries/s for ``--duration`` s, Zalo and Facebook taking turns, open
  loop (``bench/webhook_load.py``); acknowledgement p50/p95/p99 per channel from the planned
  send time and from the actual send, then messages answered and replies the simulators
  received, at the end of the sending and after a drain (``--drain`` s at most).
* saturate: closed loop at ``--concurrency`` for ``--duration`` s against the first web
  process alone and against both, alternating, ``--repeat`` times each on the same
  processes: acknowledgements per second, medians and their ratio (needs ``--web 2``).

    .venv/bin/python bench/webhook_bench.py --mode open --web 2 --workers 1 --worker-nice 10 \
        --worker-threads 1 --rate 50 --duration 20 --commit HEAD
    .venv/bin/python bench/webhook_bench.py --mode saturate --web 2 --workers 1 --worker-nice 10 \
        --worker-threads 1 -c 32 --duration 10 --repeat 3 --commit HEAD

Every run also reports the cores each process used, the share of time each waited for a CPU
and (open) the web processes' CPU per delivery; ``--commit`` runs the hub from a ``git
archive`` of that commit; ``--profile`` samples the first web process with py-spy. Results
and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

from bench.webchat_bench import database, drop_database, percentile  # noqa: E402
from bench.webhook_modes import add_arguments, run_open, run_saturate  # noqa: E402
from devtools.dovecot import DovecotServer  # noqa: E402
from devtools.facebook import FacebookSimulator  # noqa: E402
from devtools.net import free_port  # noqa: E402
from devtools.zalo import ZaloSimulator  # noqa: E402


def start_hub(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    full = {**os.environ, **env, "HUB_PORT": str(port), "HUB_LOG_LEVEL": "WARNING", "HUB_ENGINE": "handoff"}
    log = (workdir / "hub.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=full, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 60
    import socket

    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"hub did not start; see {workdir / 'hub.log'}")


async def timed_posts(calls: list[Any], concurrency: int) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(call: Any) -> None:
        async with gate:
            t = time.perf_counter()
            status = await call()
            latencies.append(time.perf_counter() - t)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in calls))
    elapsed = time.perf_counter() - started
    return {
        "deliveries": len(calls),
        "status_counts": statuses,
        "ack_ms": {
            "p50": round(percentile(latencies, 0.5) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
        },
        "ingest_per_s": round(len(calls) / elapsed, 1),
    }


async def bench_zalo(sim: ZaloSimulator, hub: str, n: int, c: int) -> dict[str, Any]:
    url = f"{hub}/webhooks/zalo"
    events = [
        sim.user_text(sim.add_user(f"Người dân {i}").user_id, f"Cho tôi hỏi thủ tục số {i}") for i in range(n)
    ]

    def call(e: dict[str, Any]) -> Any:
        async def go() -> int:
            return (await sim.deliver(url, e)).status

        return go

    return await timed_posts([call(e) for e in events], c)


async def bench_facebook(sim: FacebookSimulator, hub: str, n: int, c: int) -> dict[str, Any]:
    url = f"{hub}/webhooks/facebook"
    bodies = [sim.delivery(sim.entry(sim.text(f"psid-{i}", f"Xin hỏi về chính sách {i}"))) for i in range(n)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        def call(b: dict[str, Any]) -> Any:
            async def go() -> int:
                return (await sim.post(url, b, session=session))[0]

            return go

        return await timed_posts([call(b) for b in bodies], c)


def mail(i: int) -> bytes:
    return (
        f"From: Nguoi dan {i} <dan{i}@example.vn>\r\nTo: 1022@hotline.test\r\n"
        f"Subject: Hoi thu tuc {i}\r\nMessage-ID: <bench-{i}-{uuid.uuid4().hex}@example.vn>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Kính gửi tổng đài, tôi muốn hỏi thủ tục số {i}.\r\n"
    ).encode()


async def email_span(db_url: str) -> tuple[int, float]:
    """How many e-mails are stored, and seconds between the first and the last one."""
    from sqlalchemy import func, select

    from storage.models import Message
    from storage.session import create_engine, make_sessionmaker

    engine = create_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s:
            n, first, last = (
                await s.execute(
                    select(func.count(), func.min(Message.created_at), func.max(Message.created_at)).where(
                        Message.channel == "email", Message.direction == "in"
                    )
                )
            ).one()
            return int(n), (last - first).total_seconds() if n else 0.0
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"database": args.db, "n": args.n, "concurrency": args.concurrency}
    with tempfile.TemporaryDirectory() as tmp, DovecotServer() as dovecot:
        work = Path(tmp)
        db_url, dropper = database(args.db, work)
        zalo = await ZaloSimulator().start()
        fb = FacebookSimulator()
        await fb.start()
        env = {
            **zalo.env(),
            **fb.env(),
            "HUB_DATABASE_URL": db_url,
            "EMAIL_ADDRESS": "1022@hotline.test",
            "EMAIL_IMAP_HOST": dovecot.host,
            "EMAIL_IMAP_PORT": str(dovecot.port),
            "EMAIL_IMAP_SSL": "false",
            "EMAIL_IMAP_USER": "hotline",
            "EMAIL_IMAP_PASSWORD": dovecot.users["hotline"],
            "EMAIL_SMTP_HOST": "127.0.0.1",
            "EMAIL_SMTP_PORT": str(free_port()),
            "EMAIL_SMTP_STARTTLS": "false",
        }
        n_mail = args.mails
        for i in range(n_mail):
            dovecot.append("hotline", mail(i))
        proc, hub = start_hub(env, work)
        try:
            # e-mail first, alone: the poller starts with the hub and drains the mailbox
            deadline = time.perf_counter() + 300
            while (span := await email_span(db_url))[0] < n_mail and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            stored, seconds = span
            results["email"] = {
                "mails": n_mail,
                "stored": stored,
                "first_to_last_stored_s": round(seconds, 2),
                "ingest_per_s": round((stored - 1) / seconds, 1) if seconds > 0 else None,
            }
            results["zalo"] = await bench_zalo(zalo, hub, args.n, args.concurrency)
            results["facebook"] = await bench_facebook(fb, hub, args.n, args.concurrency)
        finally:
            proc.terminate()
            proc.wait(30)
            await zalo.close()
            await fb.stop()
            drop_database(dropper)
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite", help="closed mode")
    p.add_argument("-n", type=int, default=400, help="deliveries per webhook channel (closed)")
    p.add_argument("-c", "--concurrency", type=int, default=20, help="closed, saturate")
    p.add_argument("--mails", type=int, default=200, help="closed")
    p.add_argument("--json", help="also write the result to this file")
    add_arguments(p)
    args = p.parse_args()
    mode = {"closed": run, "open": run_open, "saturate": run_saturate}[args.mode]
    result = json.dumps(asyncio.run(mode(args)), indent=2, ensure_ascii=False)
    print(result)
    if args.json:
        Path(args.json).write_text(result + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
