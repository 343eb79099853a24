"""``bench/webhook_bench.py --mode open|saturate``: the runs and their JSON results."""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.webhook_load import Citizens, ack_report, drain, hub_counts, reply_latency
from bench.webhook_topology import ROOT, Plan, Topology, export


def plan_of(args: argparse.Namespace, workdir: Path) -> Plan:
    source = export(args.commit, workdir / "source") if args.commit else ROOT
    return Plan(
        source=source,
        web=args.web,
        workers=args.workers,
        faq=args.faq,
        redis_url=args.redis,
        worker_nice=args.worker_nice,
        worker_idle=args.worker_idle,
        worker_threads=args.worker_threads,
        web_threads=args.web_threads,
        reuseport=args.reuseport,
        web_role=args.web_role,
    )


def revision(args: argparse.Namespace) -> str:
    rev = args.commit or "HEAD"
    out = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() + ("" if args.commit else " + working tree")


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds each process (and this client) has used (``/proc/PID/stat``)."""
    tick = os.sysconf("SC_CLK_TCK")
    mine = resource.getrusage(resource.RUSAGE_SELF)
    out = {"client": round(mine.ru_utime + mine.ru_stime, 2)}
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] = round((int(fields[11]) + int(fields[12])) / tick, 1)
    return out


def run_delay(pids: dict[str, int]) -> dict[str, float]:
    """Seconds each process has spent runnable but waiting for a CPU (``/proc/PID/schedstat``)."""
    out = {}
    for name, pid in {**pids, "client": os.getpid()}.items():
        try:
            out[name] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            continue
    return out


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (``/proc/stat``: all but idle and iowait)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


async def snapshot(topo: Topology) -> tuple[float, dict[str, float], dict[str, float]]:
    pids = await topo.all_pids()
    cpu = {**cpu_seconds(pids), "machine": machine_busy()}
    return time.perf_counter(), cpu, run_delay(pids)


def _spent(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Cores each process used over ``seconds`` (PostgreSQL backends summed as ``postgres``;
    ``others``: the machine's busy cores not used by the hub, its database or this client)."""
    used: dict[str, float] = {}
    for k, v in after.items():
        name = "postgres" if k.startswith("pg:") else k
        used[name] = used.get(name, 0.0) + (v - before.get(k, 0.0)) / seconds
    if "machine" in used:
        used["others"] = used.pop("machine") - sum(used.values())
    return {k: round(v, 2) for k, v in used.items()}


def usage(
    first: tuple[float, dict[str, float], dict[str, float]],
    last: tuple[float, dict[str, float], dict[str, float]],
) -> dict[str, Any]:
    seconds = last[0] - first[0]
    cores = _spent(first[1], last[1], seconds)
    waiting = _spent(first[2], last[2], seconds)
    web = sum(last[1][k] - first[1].get(k, 0.0) for k in last[1] if k.startswith("web"))
    return {"cpu_cores_used": cores, "runnable_waiting_share": waiting, "web_cpu_s": round(web, 2)}


def check_alive(topo: Topology) -> dict[str, int]:
    """Processes that died during the run (the figures are then not valid), also on stderr."""
    gone = topo.exited()
    if gone:
        print(f"NOT VALID: processes exited during the run: {gone}", file=sys.stderr)
    return gone


def first_web(pids: dict[str, int]) -> int:
    """The first web process that takes HTTP (with ``--reuseport``: a child, not the parent)."""
    webs = [name for name in pids if name.startswith("web")]
    return pids[next((n for n in webs if ":" in n), webs[0])]


def profile(topo: Topology, args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    """``--profile``: py-spy samples the first web process while the load runs (collapsed
    stacks in ``web0.folded`` of the work directory; ``.venv/bin/pip install py-spy``)."""
    if not args.profile:
        return None
    out = topo.workdir / "web0.folded"
    command = [
        str(ROOT / ".venv" / "bin" / "py-spy"),
        "record",
        "--pid",
        str(first_web(topo.pids())),
    ]
    command += ["--duration", str(int(args.duration)), "--rate", "200", "--format", "raw", "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def run_open(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": "open", "rate": args.rate, "duration_s": args.duration}
    out["hub"] = revision(args)
    out["uptime_before"] = load()
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            Topology(plan_of(args, Path(args.keep or tmp)), Path(args.keep or tmp)) as topo,
            Citizens(topo, repeat=args.repeat_sender) as citizens,
        ):
            out["topology"] = topo.describe()
            spy = profile(topo, args)
            before = await snapshot(topo)
            lag = await citizens.open_loop(topo.web_urls, args.rate, args.duration)
            if spy is not None:
                await asyncio.to_thread(spy.wait, 30)
            use = usage(before, await snapshot(topo))
            out.update(use)
            out["web_cpu_ms_per_delivery"] = round(
                1000 * use.pop("web_cpu_s") / max(1, len(citizens.sent)), 1
            )
            out["sender_lag_max_ms"] = round(lag * 1000, 1)
            out["acks"] = ack_report(citizens.sent)
            out["senders"] = {ch: len(u) for ch, u in citizens.users.items()}
            out["at_end_of_sending"] = await hub_counts(topo)
            out["after_drain"], out["drain_s"] = await drain(topo, args.drain)
            out["reply_latency"] = reply_latency(topo, citizens.sent)
            out["exited"] = check_alive(topo)
    out["uptime_after"] = load()
    return out


async def run_saturate(args: argparse.Namespace) -> dict[str, Any]:
    if args.web < 2 or args.reuseport:
        raise SystemExit("--mode saturate compares 1 and 2 web processes on their own ports: --web 2")
    out: dict[str, Any] = {"mode": "saturate", "concurrency": args.concurrency, "duration_s": args.duration}
    out["hub"] = revision(args)
    out["uptime_before"] = load()
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            Topology(plan_of(args, Path(args.keep or tmp)), Path(args.keep or tmp)) as topo,
            Citizens(topo, repeat=args.repeat_sender) as citizens,
        ):
            out["topology"] = topo.describe()
            await citizens.closed_loop(topo.web_urls, args.concurrency, 2.0)  # warm-up, not counted
            for _ in range(args.repeat):
                for n in (1, 2):
                    await asyncio.sleep(args.pause)
                    before = await snapshot(topo)
                    result = await citizens.closed_loop(topo.web_urls[:n], args.concurrency, args.duration)
                    result.update(usage(before, await snapshot(topo)))
                    runs[n].append(result)
                    print(f"  {n} web: {result['acks_per_s']} acks/s", flush=True)
            out["at_end"] = await hub_counts(topo)
            out["exited"] = check_alive(topo)
    out["uptime_after"] = load()
    out["runs"] = {f"{n}_web": r for n, r in runs.items()}
    medians = {n: statistics.median(r["acks_per_s"] for r in runs[n]) for n in runs}
    out["median_acks_per_s"] = {f"{n}_web": medians[n] for n in medians}
    out["ratio_2_over_1"] = round(medians[2] / medians[1], 2) if medians[1] else None
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=["closed", "open", "saturate"], default="closed")
    p.add_argument("--web", type=int, default=1, help="web processes (open/saturate)")
    p.add_argument("--workers", type=int, default=0, help="worker processes (needs serve --role)")
    p.add_argument("--web-role", choices=["web", "all"], default="web", help="all: they also answer")
    p.add_argument("--reuseport", action="store_true", help="one `serve --role web --workers N` on one port")
    p.add_argument("--rate", type=float, default=50.0, help="deliveries per second (open)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of sending (open, saturate)")
    p.add_argument("--drain", type=float, default=120.0, help="seconds at most to wait for answers")
    p.add_argument("--repeat", type=int, default=3, help="runs per configuration (saturate)")
    p.add_argument("--pause", type=float, default=3.0, help="seconds between saturation runs")
    p.add_argument("--repeat-sender", type=float, default=0.3, help="share of messages from earlier senders")
    p.add_argument("--faq", default="dev-public-services", choices=["dev", "dev-public-services"])
    p.add_argument("--redis", default="redis://127.0.0.1:6379/10", help="Redis database (flushed at start)")
    p.add_argument("--worker-nice", type=int, default=0, help="nice -n for worker processes")
    p.add_argument("--worker-idle", action="store_true", help="workers under SCHED_IDLE (chrt --idle 0)")
    p.add_argument("--worker-threads", help="FAQ_ENCODER_THREADS of the workers")
    p.add_argument("--web-threads", help="FAQ_ENCODER_THREADS of the web processes")
    p.add_argument("--profile", action="store_true", help="py-spy the first web process (open)")
    p.add_argument("--commit", help="run the hub from this commit (git archive), not the working tree")
    p.add_argument("--keep", help="a directory to keep the processes' logs in")
