"""``bench/faults.py --scenario throughput``: answered messages per second with one worker
process, then two, on the production topology (two web processes behind nginx, private
PostgreSQL and Redis; Rasa not run: the hub's cues read the acts, so the figure is the hub's).

Each phase pauses the workers (SIGSTOP), posts a burst of Zalo and Facebook citizens
(``concurrency`` webhooks in flight, all stored), resumes one or two workers (SIGCONT) and
counts, from the database, how fast the backlog gets answered (processed, with the bot's
reply stored): answered / (last answered - resumed). Both workers run from the start (warm:
FAQ index and embedding model loaded), so the figure is answering capacity, not start-up."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench.fault_count import Result
from bench.fault_parts import QUESTIONS
from bench.fault_prodrig import ProdRig


@dataclass(frozen=True)
class TpPlan:
    burst: int  # citizens per phase
    concurrency: int  # webhooks in flight
    cap: float  # longest wait for a phase's answers


TP_FULL = TpPlan(burst=240, concurrency=20, cap=120.0)
TP_QUICK = TpPlan(burst=60, concurrency=10, cap=60.0)

ANSWERED = (
    "SELECT count(*) AS n FROM messages m WHERE m.direction = 'in' AND m.id > $1 AND m.processed"
    " AND EXISTS (SELECT 1 FROM messages o WHERE o.conversation_id = m.conversation_id"
    " AND o.direction = 'out' AND o.sender_role = 'bot' AND o.seq > m.seq)"
)


def cpu_seconds(pids: list[int | None], *, reaped: bool = False) -> float:
    """User + system CPU seconds the processes have used (all their threads); ``reaped``:
    also what their exited children used (PostgreSQL's backends come and go)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        if reaped:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


async def answered_since(rig: ProdRig, baseline: int) -> int:
    return int((await rig.sql(ANSWERED, baseline))[0]["n"])


async def phase(rig: ProdRig, label: str, plan: TpPlan, workers: int) -> tuple[float | None, int, int]:
    """(answered per second, answered, accepted) of one burst: the workers are paused
    (SIGSTOP) while the burst is posted and stored, then ``workers`` of them resume (SIGCONT)
    and the backlog is timed from that moment until its last message is answered."""
    await settle(rig)  # no worker paused with work in hand (a claim held while stopped)
    baseline = int((await rig.sql("SELECT coalesce(max(id), 0) AS n FROM messages"))[0]["n"])
    for proc in rig.workers:
        proc.pause()
    gate = asyncio.Semaphore(plan.concurrency)

    async def one(i: int) -> bool:
        async with gate:
            post = await rig.citizen(("zalo", "facebook")[i % 2], QUESTIONS[i % len(QUESTIONS)])
            return post.accepted_at is not None

    accepted = sum(await asyncio.gather(*(one(i) for i in range(plan.burst))))
    resumed = time.time()
    pids = [p.pid for p in rig.workers[:workers]]
    others: dict[str, list[int | None]] = {"web": [p.pid for p in rig.webs], "PostgreSQL": [*rig.pg.pids()]}
    cpu0, other0 = cpu_seconds(pids), {k: cpu_seconds(v, reaped=True) for k, v in others.items()}
    for proc in rig.workers[:workers]:
        proc.resume()
    answered, last = 0, resumed
    while time.time() - resumed < plan.cap and answered < accepted:
        await asyncio.sleep(0.25)
        now = await answered_since(rig, baseline)
        if now > answered:
            answered, last = now, time.time()
    took = max(time.time() - resumed, 1e-3)
    cores = (cpu_seconds(pids) - cpu0) / took
    others["PostgreSQL"] = [*rig.pg.pids()]  # the backends alive now (the exited ones: reaped)
    used = ", ".join(f"{k} {(cpu_seconds(v, reaped=True) - other0[k]) / took:.2f}" for k, v in others.items())
    for proc in rig.workers:
        proc.resume()
    rate = answered / (last - resumed) if answered and last > resumed else None
    rig.log(f"{label}: {answered} of {accepted} accepted answered in {last - resumed:.1f} s"
            f" = {rate or 0:.1f} answered/s; CPU cores used: workers {cores:.2f}, {used}"
            f" (machine load {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)")  # fmt: skip
    return rate, answered, accepted


async def settle(rig: ProdRig, cap: float = 30.0) -> None:
    """Wait (at most ``cap`` s) until nothing is pending: every reply sent, every message answered."""
    started = time.time()
    while time.time() - started < cap:
        if await rig.pending() == (0, 0):
            return
        await asyncio.sleep(0.5)


async def throughput(rig: ProdRig, plan: TpPlan) -> Result:
    result = Result()
    if not rig.role_flag:
        rig.log("NOTE: no --role flag yet: the web processes also answer, so 1 vs 2 workers is not isolated")
    await phase(rig, "warm-up, both workers", TpPlan(burst=8, concurrency=4, cap=30.0), workers=2)
    one = await phase(rig, "1 worker", plan, workers=1)
    two = await phase(rig, "2 workers", plan, workers=2)
    for (rate, answered, accepted), label in ((one, "1"), (two, "2")):
        result.posted += plan.burst
        result.accepted += accepted
        result.answered += answered
        result.extra[f"throughput_{label}_worker_per_s"] = rate
    result.not_accepted = result.posted - result.accepted
    await settle(rig)  # the last replies may still be on their way to the vendors
    result.stuck_outbox, result.stuck_unprocessed = await rig.pending()
    return result
