"""``bench/faults.py --scenario throughput``: answered messages per second with one worker
process, then two, on the production topology (two web processes behind nginx, private
PostgreSQL and Redis; Rasa not run: the hub's cues read the acts, so the figure is the hub's).

Each phase posts a burst of Zalo and Facebook citizens (``concurrency`` webhooks in flight)
and counts, from the database, how fast their messages get answered (processed, with the
bot's reply stored): answered / (last answered - first posted)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

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


async def phase(rig: ProdRig, label: str, plan: TpPlan) -> tuple[float | None, int, int]:
    """(answered per second, answered, accepted) of one burst."""
    baseline = int((await rig.sql("SELECT coalesce(max(id), 0) AS n FROM messages"))[0]["n"])
    gate = asyncio.Semaphore(plan.concurrency)
    started = time.time()

    async def one(i: int) -> bool:
        async with gate:
            post = await rig.citizen(("zalo", "facebook")[i % 2], QUESTIONS[i % len(QUESTIONS)])
            return post.accepted_at is not None

    posting = asyncio.gather(*(one(i) for i in range(plan.burst)))
    answered, last = 0, started
    while time.time() - started < plan.cap:
        await asyncio.sleep(0.25)
        now = int((await rig.sql(ANSWERED, baseline))[0]["n"])
        if now > answered:
            answered, last = now, time.time()
        if posting.done() and answered >= sum(posting.result()):
            break
    accepted = sum(await posting)
    rate = answered / (last - started) if answered and last > started else None
    rig.log(
        f"{label}: {answered} of {accepted} accepted answered in {last - started:.1f} s"
        f" = {rate or 0:.1f} answered/s"
    )
    return rate, answered, accepted


async def throughput(rig: ProdRig, plan: TpPlan) -> Result:
    result = Result()
    if not rig.role_flag:
        rig.log("NOTE: no --role flag yet: the web processes also answer, so 1 vs 2 workers is not isolated")
    await phase(rig, "warm-up", TpPlan(burst=8, concurrency=4, cap=30.0))
    one = await phase(rig, "1 worker", plan)
    worker = await rig.add_worker()
    rig.log(f"{worker.name} started")
    two = await phase(rig, "2 workers", plan)
    for (rate, answered, accepted), label in ((one, "1"), (two, "2")):
        result.posted += plan.burst
        result.accepted += accepted
        result.answered += answered
        result.extra[f"throughput_{label}_worker_per_s"] = rate
    result.not_accepted = result.posted - result.accepted
    for _ in range(60):  # the last replies may still be on their way to the vendors
        if await rig.pending() == (0, 0):
            break
        await asyncio.sleep(0.5)
    result.stuck_outbox, result.stuck_unprocessed = await rig.pending()
    return result
