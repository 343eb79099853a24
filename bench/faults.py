"""Faults against a real hub: nothing lost, nothing sent twice, nothing stalls (issue 10).

Each scenario starts its own hub process (``python -m bot serve``, FAQ engine with a small
FAQ, a fresh PostgreSQL database, Redis) with the Zalo and Facebook simulators as the
citizens and the receivers of replies, all on 127.0.0.1, and stops by itself:

* ``kill``: citizens write at a steady rate over Zalo and Facebook; mid-stream, while the
  relay waits for Zalo to answer a send, the hub is SIGKILLed and restarted at once; the
  stream goes on.
* ``dbcut``: a loopback TCP proxy between the hub and PostgreSQL is cut (connections
  closed, new ones refused) while the relay waits for Zalo to answer a send (which Zalo then
  accepts), and restored after 10 s.
* ``vendor``: Zalo's send API answers HTTP 500 for a while, then hangs (accepts the message
  but answers after the hub's 10 s timeout) for a while; Facebook must keep flowing.
* ``long``: one 100,000-character Zalo message; meanwhile a web-chat question every 2 s (at
  least 3, the first sent together with the long message).

* ``production`` (issue 16): the production topology, started here — a private PostgreSQL
  cluster and Redis, Rasa, two ``--role web`` processes behind nginx (the shipped site,
  HTTPS on loopback), two ``--role worker`` processes — under 30 web-chat conversations and
  Zalo/Facebook webhooks (some delivered twice on purpose), while one web process and one
  worker (mid-send) are SIGKILLed and restarted, PostgreSQL restarts, Redis stops for 10 s,
  the channel APIs answer 500 then hang for 30 s, and Rasa is SIGKILLed and restarted
  (``bench/fault_production.py``); counts per channel (``bench/fault_prodcount.py``).
* ``throughput``: the same topology without Rasa; answered messages per second with one
  worker process, then two (``bench/fault_throughput.py``).

A webhook that gets no 2xx is redelivered (1, 2, 4, 8 s later) as the vendors do. At the end
a table of counts per scenario; the exit status is 1 when a target of issue 10 is missed.
What each count means, and the figures: docs/benchmarks.md.

    .venv/bin/python bench/faults.py                   # all scenarios, about 10-12 minutes
    .venv/bin/python bench/faults.py --scenario production   # about 5 minutes
    .venv/bin/python bench/faults.py --quick           # a smaller smoke run (1-2 minutes)
    .venv/bin/python bench/faults.py --scenario vendor
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fault_count import LONG_CHARS, Result, measure, render  # noqa: E402
from bench.fault_parts import Rig  # noqa: E402

WEBCHAT_QUESTION = "Lệ phí cấp đổi giấy phép lái xe là bao nhiêu?"
WEBCHAT_EVERY = 2.0  # s between web-chat questions while the long message is being handled
WEBCHAT_AT_LEAST = 3  # questions asked, the first at the same moment as the long message
WEBCHAT_CAP = 30.0  # s to wait for each


@dataclass(frozen=True)
class Plan:
    count: int  # citizen messages per stream scenario (Zalo and Facebook taking turns)
    rate: float  # per second
    fault_at: float  # seconds into the stream
    outage: float  # database cut length
    zalo_500: float  # vendor: seconds of HTTP 500 before the hang
    zalo_hang: float  # vendor: seconds of hanging
    drain: float  # longest wait after the stream for the backlog to clear
    long_wait: float  # longest wait for the long message's reply


FULL = Plan(count=120, rate=4.0, fault_at=10.0, outage=10.0, zalo_500=6.0, zalo_hang=12.0, drain=30.0,
            long_wait=75.0)  # fmt: skip
QUICK = Plan(count=30, rate=2.5, fault_at=4.0, outage=5.0, zalo_500=2.0, zalo_hang=6.0, drain=15.0,
             long_wait=20.0)  # fmt: skip


async def until(rig: Rig, seconds: float) -> None:
    await asyncio.sleep(max(0.0, rig.t0 + seconds - time.time()))


async def kill(rig: Rig, plan: Plan) -> Result:
    stream = asyncio.ensure_future(rig.stream(plan.count, plan.rate))
    await until(rig, plan.fault_at)
    hub = rig.hub
    assert hub is not None and hub.proc is not None

    async def sigkill() -> None:
        assert hub.proc is not None
        hub.proc.kill()

    rig.zalo.trap = sigkill
    await rig.zalo.sprung.wait()
    hub.kill()  # reap it
    rig.log(f"SIGKILL hub (pid {hub.proc.pid}) while its relay waited for Zalo to answer a send")
    restarted = time.time()
    await rig.start_hub()
    back = time.time()
    rig.log(f"hub restarted, listening after {back - restarted:.1f} s")
    await stream
    return await finish(rig, plan, (restarted, back))


async def dbcut(rig: Rig, plan: Plan) -> Result:
    proxy = rig.proxy
    assert proxy is not None
    stream = asyncio.ensure_future(rig.stream(plan.count, plan.rate))
    await until(rig, plan.fault_at)
    rig.zalo.trap, rig.zalo.trap_accepts = proxy.cut, True
    await rig.zalo.sprung.wait()
    rig.log("database cut while the relay waited for Zalo to answer a send (Zalo then accepts it)")
    await asyncio.sleep(plan.outage)
    await proxy.restore()
    restored = time.time()
    rig.log(f"database restored after {plan.outage:.0f} s")
    await stream
    return await finish(rig, plan, (restored, restored))


async def vendor(rig: Rig, plan: Plan) -> Result:
    stream = asyncio.ensure_future(rig.stream(plan.count, plan.rate))
    start = plan.fault_at - plan.zalo_500 / 2
    await until(rig, start)
    rig.zalo.mode = "500"
    rig.log("Zalo send API answers HTTP 500")
    await until(rig, start + plan.zalo_500)
    rig.zalo.mode = "hang"
    hang_from = time.time()
    rig.log(f"Zalo send API hangs ({rig.zalo.hang_seconds:.0f} s per call, longer than the hub's 10 s)")
    await until(rig, start + plan.zalo_500 + plan.zalo_hang)
    rig.zalo.mode = "ok"
    fault_end = time.time()
    rig.log("Zalo send API healthy again")
    await stream
    result = await finish(rig, plan, (fault_end, fault_end), gate_recovery=False)
    first = rig.first_reply()
    during = [
        first[p.user] - p.accepted_at
        for p in rig.posts
        if p.channel == "facebook" and p.accepted_at is not None and hang_from <= p.accepted_at <= fault_end
    ]
    missing = sum(
        1
        for p in rig.posts
        if p.channel == "facebook" and p.accepted_at and hang_from <= p.accepted_at <= fault_end
        and p.user not in first
    )  # fmt: skip
    result.extra["fb_during_hang_n"] = len(during) + missing
    result.extra["fb_during_hang_median_s"] = statistics.median(during) if during else None
    result.extra["fb_during_hang_max_s"] = None if missing or not during else max(during)
    return result


async def long_message(rig: Rig, plan: Plan) -> Result:
    text = long_text(LONG_CHARS)
    rig.log(f"a Zalo citizen sends {len(text):,} characters; a web-chat citizen asks at the same moment")
    asked: list[asyncio.Future[float | None]] = [asyncio.ensure_future(webchat_question(rig, WEBCHAT_CAP))]
    post = await rig.citizen("zalo", text)
    rig.log(f"webhook answered 2xx after {post.acked_in or float('nan'):.2f} s")
    rows = await rig.sql(
        "SELECT length(text) AS n FROM messages WHERE channel = 'zalo' AND channel_message_id = $1", post.mid
    )
    waited_from = time.time()
    while (post.user not in rig.first_reply() or len(asked) < WEBCHAT_AT_LEAST) and (
        time.time() - waited_from < plan.long_wait
    ):
        if time.time() >= waited_from + WEBCHAT_EVERY * len(asked):
            asked.append(asyncio.ensure_future(webchat_question(rig, WEBCHAT_CAP)))
        await asyncio.sleep(0.2)
    webchat = await asyncio.gather(*asked)
    replied = rig.first_reply().get(post.user)
    result = await finish(rig, plan, None, drain=5.0)
    result.extra.update(
        long_ack_s=post.acked_in,
        long_stored_chars=int(rows[0]["n"]) if rows else 0,
        long_handled_s=(replied - post.accepted_at) if replied and post.accepted_at else None,
        long_wait_cap_s=plan.long_wait,
        webchat_n=len(webchat),
        webchat_median_s=statistics.median(WEBCHAT_CAP if w is None else w for w in webchat)
        if webchat
        else None,
        webchat_s=_worst(webchat),
        webchat_cap_s=WEBCHAT_CAP,
    )
    return result


def _worst(times: list[float | None]) -> float | None:
    """The longest wait; None when one was never answered (or nothing was asked)."""
    answered = [t for t in times if t is not None]
    return max(answered) if answered and len(answered) == len(times) else None


async def webchat_question(rig: Rig, cap: float) -> float | None:
    """Seconds from posting a web-chat question to the bot's answer (None: none in ``cap``)."""
    async with rig.http.post(f"{rig.url}/webchat/api/session", json={}) as r:
        token = (await r.json())["session_token"]
    auth = {"Authorization": f"Bearer {token}"}
    started = time.time()
    body = {"client_id": str(uuid.uuid4()), "text": WEBCHAT_QUESTION}
    async with rig.http.post(f"{rig.url}/webchat/api/messages", headers=auth, json=body) as r:
        seq = (await r.json())["seq"]
    while time.time() - started < cap:
        async with rig.http.get(f"{rig.url}/webchat/api/messages?after={seq}", headers=auth) as r:
            if any(m["direction"] == "out" for m in (await r.json())["messages"]):
                elapsed = time.time() - started
                rig.log(f"web-chat question answered after {elapsed:.2f} s")
                return elapsed
        await asyncio.sleep(0.05)
    rig.log(f"web-chat question not answered within {cap:.0f} s")
    return None


def long_text(n: int) -> str:
    """A complaint in Vietnamese sentences, then a pasted blob (say, an image as base64) of
    unbroken 4,000-character words up to ``n`` characters: the matcher's expensive case (it
    keeps the last words of a message, and a long word costs more than its length)."""
    sentence = (
        "Tôi xin phản ánh việc cấp giấy phép xây dựng nhà ở tại phường Điện Biên: hồ sơ đã nộp "
        "từ tháng trước nhưng đến nay vẫn chưa được giải quyết, đề nghị cơ quan kiểm tra giúp. "
    )
    head = sentence * 20
    word = base64.b64encode(bytes(i % 251 for i in range(3000))).decode()[:3999] + " "  # made here
    blob = word * ((n - len(head)) // len(word) + 1)
    return (head + blob)[: n - 1] + "."


async def finish(
    rig: Rig,
    plan: Plan,
    fault: tuple[float, float] | None,
    *,
    drain: float | None = None,
    gate_recovery: bool = True,
) -> Result:
    """Wait for the backlog, then count. ``fault``: (when the hub was restarted or the fault
    removed, when it was back: the citizens who wrote before then were affected)."""
    rig.log(f"stream done; waiting up to {drain or plan.drain:.0f} s for the backlog")
    waited = await rig.drain(drain or plan.drain)
    rig.log(f"drain ended after {waited:.1f} s")
    return await measure(rig, fault, gate_recovery=gate_recovery)


SCENARIOS = {"kill": kill, "dbcut": dbcut, "vendor": vendor, "long": long_message}
TOPOLOGY = ("production", "throughput")  # the production topology's own rig (bench/fault_prodrig.py)


async def run_topology(name: str, args: argparse.Namespace, workdir: Path) -> Result:
    from bench.fault_prodcount import render_channels
    from bench.fault_prodrig import ProdRig
    from bench.fault_production import PROD_FULL, PROD_QUICK, production
    from bench.fault_throughput import TP_FULL, TP_QUICK, throughput

    if name == "throughput":
        async with ProdRig(name, workdir, workers=2, rasa=False) as rig:
            return await throughput(rig, TP_QUICK if args.quick else TP_FULL)
    async with ProdRig(name, workdir) as rig:
        ticker = asyncio.ensure_future(rig.ticker())
        try:
            result = await production(rig, PROD_QUICK if args.quick else PROD_FULL)
        finally:
            ticker.cancel()
    print(render_channels(result), flush=True)
    return result


async def run_one(name: str, plan: Plan, args: argparse.Namespace, workdir: Path) -> Result:
    if name in TOPOLOGY:
        return await run_topology(name, args, workdir)
    async with Rig(
        name, workdir, pg_admin_url=args.pg, redis_url=args.redis, db_proxy=(name == "dbcut")
    ) as rig:
        rig.log(f"hub {rig.url} started")
        ticker = asyncio.ensure_future(rig.ticker())
        try:
            return await SCENARIOS[name](rig, plan)
        finally:
            ticker.cancel()


async def run(args: argparse.Namespace) -> int:
    plan = QUICK if args.quick else FULL
    names = [args.scenario] if args.scenario else [*SCENARIOS, *TOPOLOGY]
    workdir = Path(tempfile.mkdtemp(prefix="hub-faults-"))
    print(f"hub logs under {workdir}", flush=True)
    results: dict[str, Result] = {}
    crashed = False
    for name in names:
        try:
            results[name] = await run_one(name, plan, args, workdir)
        except Exception as err:  # report the others: a crash is a finding too
            print(f"[{name}] scenario failed: {err!r}", flush=True)
            crashed = True
    print(render(results), flush=True)
    missed = [f"{n}: {m}" for n, r in results.items() for m in r.missed]
    print("targets missed:\n  " + "\n  ".join(missed) if missed else "every target met", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:  # noqa: ASYNC230 (once, at the end)
            json.dump({n: r.as_dict() for n, r in results.items()}, f, indent=2, ensure_ascii=False)
    if args.keep:
        print(f"logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 2 if crashed else (1 if missed else 0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", choices=[*SCENARIOS, *TOPOLOGY], help="run only this one")
    p.add_argument("--quick", action="store_true", help="smaller counts and shorter waits (a smoke run)")
    p.add_argument("--pg", default=os.environ.get("HUB_TEST_PG_URL", "postgresql://127.0.0.1:5432/test"),
                   help="PostgreSQL where a database per scenario is created and dropped")  # fmt: skip
    p.add_argument("--redis", default="redis://127.0.0.1:6379/12", help="Redis database for the hubs")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the hub logs")
    sys.exit(asyncio.run(run(p.parse_args())))


if __name__ == "__main__":
    main()
