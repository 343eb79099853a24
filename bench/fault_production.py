"""``bench/faults.py --scenario production``: the production topology (``bench/fault_prodrig.py``)
under load (``bench/fault_load.py``) while six faults strike one after another, spaced so their
effects can be told apart, each logged with its time:

1. kill -9 of one web process (restarted 2 s later, as systemd would);
2. kill -9 of the worker whose relay is waiting for Zalo to answer a send (restarted 2 s later);
3. restart of PostgreSQL (the private cluster, ``pg_ctl restart -m fast``);
4. Redis stopped for 10 s;
5. the Zalo and Facebook send APIs answering HTTP 500 for a while, then hanging for 30 s
   (each call accepted but answered after 12 s (Zalo) or 17 s (Facebook), past the hub's 10 s and
   15 s timeouts);
6. Rasa killed with SIGKILL (started again 5 s later; the hub reads acts with its cues meanwhile).

Then the backlog drains and ``bench/fault_prodcount.py`` counts."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.fault_count import Result
from bench.fault_load import WebChats, webhooks
from bench.fault_prodcount import measure_production
from bench.fault_prodrig import ProdRig
from bench.fault_topology import HubRole, pid_of_peer

RESTART_AFTER = 2.0  # s: systemd's RestartSec for the hub's units
RASA_RESTART_AFTER = 5.0
RESTART_WAIT = 150.0  # s, after the drain, for Rasa's restart to answer (bounded)


@dataclass(frozen=True)
class ProdPlan:
    load_s: float  # how long citizens write
    chats: int  # concurrent web-chat conversations
    chat_pause: tuple[float, float]  # s between one citizen's messages (after the reply)
    rate: float  # Zalo + Facebook citizens per second
    dup_every: int  # every n-th webhook is delivered once more on purpose
    first_fault: float  # s into the load
    spacing: float  # s between faults
    vendor_500: float
    vendor_hang: float
    redis_down: float
    drain: float  # longest wait for the backlog after the load


PROD_FULL = ProdPlan(
    load_s=230,
    chats=30,
    chat_pause=(4.0, 8.0),
    rate=1.5,
    dup_every=4,
    first_fault=15,
    spacing=27,
    vendor_500=10,
    vendor_hang=30,
    redis_down=10,
    drain=120,
)
PROD_QUICK = ProdPlan(
    load_s=110,
    chats=10,
    chat_pause=(3.0, 6.0),
    rate=1.0,
    dup_every=4,
    first_fault=8,
    spacing=12,
    vendor_500=4,
    vendor_hang=12,
    redis_down=10,
    drain=60,
)


async def at(rig: ProdRig, seconds: float) -> None:
    await asyncio.sleep(max(0.0, rig.t0 + seconds - time.time()))


async def restart_later(rig: ProdRig, proc: HubRole, after: float = RESTART_AFTER) -> None:
    await asyncio.sleep(after)
    took = await proc.start()
    rig.log(f"{proc.name} restarted (pid {proc.pid}), ready after {took:.1f} s")


async def kill_web(rig: ProdRig) -> asyncio.Future[None]:
    web = rig.webs[0]
    pid = web.pid
    rig.windows.append((time.time(), time.time() + RESTART_AFTER, "kill -9 web"))
    web.kill()
    rig.log(f"FAULT kill -9 {web.name} (pid {pid}, port {web.port}); nginx has the other")
    return asyncio.ensure_future(restart_later(rig, web))


async def kill_sending_worker(rig: ProdRig, cap: float = 20.0) -> asyncio.Future[None] | None:
    """Arm the Zalo trap: when the next send arrives, SIGKILL the process that sent it."""
    killed: list[HubRole] = []

    async def trap() -> None:
        pids = [p.pid for p in rig.processes if p.pid is not None]
        pid = pid_of_peer(rig.zalo.peer_port, pids)
        for proc in rig.processes:
            if proc.pid == pid:
                proc.kill()
                killed.append(proc)

    rig.zalo.sprung.clear()
    rig.zalo.trap = trap
    try:
        await asyncio.wait_for(rig.zalo.sprung.wait(), cap)
    except TimeoutError:
        rig.zalo.trap = None
        rig.log(f"FAULT kill -9 worker mid-send: NOT done (no Zalo send within {cap:.0f} s)")
        return None
    if not killed:
        rig.log(f"FAULT kill -9 worker mid-send: the sender (port {rig.zalo.peer_port}) was not found")
        return None
    proc = killed[0]
    rig.windows.append((time.time(), time.time() + RESTART_AFTER, "kill -9 worker mid-send"))
    rig.log(
        f"FAULT kill -9 {proc.name} (pid {proc.proc.pid if proc.proc else '?'}, role {proc.role}) "
        "while its relay waited for Zalo to answer a send"
    )
    return asyncio.ensure_future(restart_later(rig, proc))


async def restart_postgres(rig: ProdRig) -> None:
    rig.log("FAULT PostgreSQL restart (pg_ctl restart -m fast) begins")
    began = time.time()
    took = await asyncio.to_thread(rig.pg.restart, "fast")
    rig.windows.append((began, time.time(), "PostgreSQL restart"))
    rig.log(f"PostgreSQL accepting again after {took:.1f} s")


async def stop_redis(rig: ProdRig, seconds: float) -> None:
    rig.redis.stop()
    rig.windows.append((time.time(), time.time() + seconds, "Redis stopped"))
    rig.log(f"FAULT Redis stopped for {seconds:.0f} s")
    await asyncio.sleep(seconds)
    await rig.redis.start()
    rig.log("Redis started again (empty: no persistence)")


async def vendors(rig: ProdRig, plan: ProdPlan) -> None:
    rig.zalo.mode = rig.fb.mode = "500"  # type: ignore[attr-defined]
    rig.windows.append(
        (time.time(), time.time() + plan.vendor_500 + plan.vendor_hang, "channel APIs 500/hang")
    )
    rig.log(f"FAULT Zalo and Facebook send APIs answer HTTP 500 for {plan.vendor_500:.0f} s")
    await asyncio.sleep(plan.vendor_500)
    rig.zalo.mode = rig.fb.mode = "hang"  # type: ignore[attr-defined]
    rig.log(f"FAULT Zalo and Facebook send APIs hang for {plan.vendor_hang:.0f} s (12 / 17 s per call)")
    await asyncio.sleep(plan.vendor_hang)
    rig.zalo.mode = rig.fb.mode = "ok"  # type: ignore[attr-defined]
    rig.log("Zalo and Facebook send APIs healthy again")


async def kill_rasa(rig: ProdRig) -> asyncio.Future[None] | None:
    if rig.rasa is None or not rig.rasa.available:
        rig.log("FAULT Rasa killed: NOT done (Rasa is not running: no trained model)")
        return None
    pid = rig.rasa.kill()
    rig.rasa_down = time.time()
    rig.windows.append((rig.rasa_down, rig.rasa_down + RASA_RESTART_AFTER, "Rasa killed"))
    rig.log(f"FAULT kill -9 Rasa (pid {pid}); restarted in {RASA_RESTART_AFTER:.0f} s as systemd would")

    async def restart() -> None:
        await asyncio.sleep(RASA_RESTART_AFTER)
        assert rig.rasa is not None
        try:
            took = await rig.rasa.start(timeout=240)
        except Exception as err:  # a finding, not a crash of the run
            rig.log(f"Rasa did not come back: {err}")
            return
        rig.rasa_up = time.time()
        rig.log(f"Rasa back, answering parses {took:.1f} s after its restart")

    return asyncio.ensure_future(restart())


async def faults(rig: ProdRig, plan: ProdPlan) -> list[asyncio.Future[None]]:
    later: list[asyncio.Future[None] | None] = []
    slot = plan.first_fault
    await at(rig, slot)
    later.append(await kill_web(rig))
    await at(rig, slot := slot + plan.spacing)
    later.append(await kill_sending_worker(rig))
    await at(rig, slot := slot + plan.spacing)
    await restart_postgres(rig)
    await at(rig, slot := slot + plan.spacing)
    await stop_redis(rig, plan.redis_down)
    await at(rig, slot := slot + plan.spacing)
    await vendors(rig, plan)
    await at(rig, slot + plan.spacing + plan.vendor_500 + plan.vendor_hang - plan.spacing / 2)
    later.append(await kill_rasa(rig))
    return [f for f in later if f is not None]


async def production(rig: ProdRig, plan: ProdPlan) -> Result:
    until = rig.t0 + plan.load_s
    chats = WebChats(rig, plan.chats, plan.chat_pause)
    rig.log(
        f"load: {plan.chats} web-chat conversations and {plan.rate:g} Zalo/Facebook citizens/s "
        f"for {plan.load_s:.0f} s (every {plan.dup_every}th webhook delivered twice on purpose)"
    )
    load = asyncio.gather(chats.run(until), webhooks(rig, until, plan.rate, plan.dup_every))
    restarts = await faults(rig, plan)
    await load
    rig.log(f"load done; waiting up to {plan.drain:.0f} s for the backlog")
    waited = await drain(rig, chats, plan.drain)
    rig.log(f"drain ended after {waited:.1f} s")
    pending = [t for t in restarts if not t.done()]  # Rasa's restart may still be loading its model
    if pending:
        rig.log(f"waiting up to {RESTART_WAIT:.0f} s more for the restarts under way (Rasa)")
        _, late = await asyncio.wait(pending, timeout=RESTART_WAIT)
        for task in late:
            rig.log("a restart was still under way after that: cancelled")
            task.cancel()
    return await measure_production(rig, chats)


async def drain(rig: ProdRig, chats: WebChats, cap: float) -> float:
    """Wait until nothing is pending in the database and every accepted Zalo/Facebook citizen
    has a reply at the vendor (or ``cap`` seconds pass)."""
    started = time.time()
    while time.time() - started < cap:
        first = rig.first_reply()
        if all(p.user in first for p in rig.posts if p.accepted_at is not None):
            try:
                if await rig.pending() == (0, 0):
                    break
            except Exception:  # the database may be restarting: wait on
                pass
        await asyncio.sleep(1.0)
    return time.time() - started
