"""The citizens of ``bench/webhook_bench.py --mode open|saturate``: signed Zalo and Facebook
deliveries (taking turns), each citizen message a question from the dev FAQ's queries, from a
new sender or (``repeat`` of the time) from one who already wrote, and what the hub and the
simulators made of them.

* open loop: delivery *i* is planned at ``start + i / rate`` and sent then, whatever the
  earlier ones are doing; latency is counted from the planned time (no coordinated
  omission) and, separately, from the moment the request actually left.
* closed loop: ``concurrency`` senders, each posting its next delivery as soon as the last
  one was answered, for ``seconds``; the figure is deliveries acknowledged per second."""

from __future__ import annotations

import asyncio
import csv
import random
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.conversation_data import FAQ_SETS
from bench.webchat_bench import percentile
from bench.webhook_topology import Topology

TIMEOUT = aiohttp.ClientTimeout(total=10)  # what a vendor waits for its 2xx


def queries(faq_set: str) -> list[str]:
    with (FAQ_SETS[faq_set] / "queries.csv").open(encoding="utf-8", newline="") as fh:
        return [row["query"] for row in csv.DictReader(fh) if row["query"].strip()]


@dataclass
class Sent:
    channel: str
    user: str
    first: bool  # this sender's first message
    planned: float  # perf_counter
    started: float = 0.0
    done: float = 0.0
    acked_wall: float = 0.0  # time.time() of the 2xx
    status: int = 0
    error: str = ""


class Citizens:
    """Makes and posts the deliveries; keeps what happened to each."""

    def __init__(self, topo: Topology, *, repeat: float = 0.3, seed: int = 1022) -> None:
        self.topo = topo
        self.rng = random.Random(seed)
        self.texts = queries(topo.plan.faq)
        self.repeat = repeat
        self.users: dict[str, list[str]] = {"zalo": [], "facebook": []}
        self.sent: list[Sent] = []
        self.turn = 0
        self.http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Citizens:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=TIMEOUT)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.http is not None:
            await self.http.close()

    def _sender(self, channel: str) -> tuple[str, bool]:
        known = self.users[channel]
        if known and self.rng.random() < self.repeat:
            return self.rng.choice(known[-200:]), False  # someone who wrote recently writes again
        if channel == "zalo":
            user = self.topo.zalo.add_user(f"Người dân {len(known)}").user_id
        else:
            user = f"psid-{self.rng.randrange(10**15):015d}"
        known.append(user)
        return user, True

    async def post(self, urls: list[str], planned: float) -> Sent:
        """One delivery, to the next web process in turn."""
        i, self.turn = self.turn, self.turn + 1
        channel = "zalo" if i % 2 == 0 else "facebook"
        user, first = self._sender(channel)
        text = self.rng.choice(self.texts)
        base = urls[(i // 2) % len(urls)]
        rec = Sent(channel, user, first, planned)
        self.sent.append(rec)
        assert self.http is not None
        rec.started = time.perf_counter()
        try:
            if channel == "zalo":
                z = self.topo.zalo
                raw = z.encode(z.user_text(user, text))
                headers = {"Content-Type": "application/json", "X-ZEvent-Signature": z.sign(raw)}
                async with self.http.post(f"{base}/webhooks/zalo", data=raw, headers=headers) as resp:
                    await resp.read()
                    rec.status = resp.status
            else:
                f = self.topo.fb
                body = f.encode(f.delivery(f.entry(f.text(user, text))))
                rec.status, _ = await f.post(f"{base}/webhooks/facebook", body, session=self.http)
        except (TimeoutError, aiohttp.ClientError, OSError) as err:
            rec.error = type(err).__name__
        rec.done = time.perf_counter()
        rec.acked_wall = time.time()
        return rec

    async def open_loop(self, urls: list[str], rate: float, seconds: float) -> float:
        """Send ``rate`` deliveries a second for ``seconds``; returns the latest a send left
        after its planned time (seconds: the sender's own lag)."""
        n = int(rate * seconds)
        start = time.perf_counter() + 0.05
        tasks = []
        for i in range(n):
            planned = start + i / rate
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(self.post(urls, planned)))
        await asyncio.gather(*tasks)
        return max((s.started - s.planned for s in self.sent), default=0.0)

    async def closed_loop(self, urls: list[str], concurrency: int, seconds: float) -> dict[str, Any]:
        """``concurrency`` senders back to back for ``seconds``: acknowledgements per second."""
        first = len(self.sent)
        stop = time.perf_counter() + seconds

        async def sender() -> None:
            while time.perf_counter() < stop:
                await self.post(urls, time.perf_counter())

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        batch = self.sent[first:]
        ok = [s for s in batch if 200 <= s.status < 300]
        return {
            "web_processes": len(urls),
            "deliveries": len(batch),
            "acknowledged": len(ok),
            "elapsed_s": round(elapsed, 2),
            "acks_per_s": round(len(ok) / elapsed, 1),
            "ack_ms": latency([s.done - s.started for s in ok]),
        }


def latency(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ms = [v * 1000 for v in values]
    out: dict[str, float | None] = {f"p{q}": round(percentile(ms, q / 100), 1) for q in (50, 95, 99)}
    out["max"] = round(max(ms), 1)
    return out


def ack_report(sent: list[Sent]) -> dict[str, Any]:
    """Per channel: status counts, latency from the planned time and from the send."""
    out: dict[str, Any] = {}
    for channel in ("zalo", "facebook"):
        mine = [s for s in sent if s.channel == channel]
        ok = [s for s in mine if 200 <= s.status < 300]
        statuses: dict[str, int] = {}
        for s in mine:
            key = str(s.status) if s.status else s.error
            statuses[key] = statuses.get(key, 0) + 1
        out[channel] = {
            "deliveries": len(mine),
            "statuses": statuses,
            "ack_ms_from_planned": latency([s.done - s.planned for s in ok]),
            "ack_ms_from_sent": latency([s.done - s.started for s in ok]),
        }
    return out


async def hub_counts(topo: Topology) -> dict[str, int]:
    """What the database holds: citizen messages stored, processed, answered by the bot."""
    row = (
        await topo.sql(
            "SELECT count(*) AS stored, count(*) FILTER (WHERE m.processed) AS processed,"
            " count(*) FILTER (WHERE m.processed AND EXISTS (SELECT 1 FROM messages o"
            "  WHERE o.conversation_id = m.conversation_id AND o.direction = 'out'"
            "  AND o.sender_role = 'bot' AND o.seq > m.seq)) AS answered,"
            " (SELECT count(*) FROM outbox WHERE done) AS outbox_done,"
            " (SELECT count(*) FROM outbox WHERE NOT done) AS outbox_pending"
            " FROM messages m WHERE m.direction = 'in' AND m.channel IN ('zalo', 'facebook')"
        )
    )[0]
    counts = {k: int(row[k]) for k in row.keys()}
    counts["replies_at_simulators"] = len(topo.zalo.sent) + len(topo.fb.sent)
    return counts


async def drain(topo: Topology, cap: float) -> tuple[dict[str, int], float]:
    """Wait until every stored message is processed and the outbox is empty (or ``cap`` s)."""
    started = time.perf_counter()
    while True:
        counts = await hub_counts(topo)
        waited = time.perf_counter() - started
        if (counts["processed"] == counts["stored"] and not counts["outbox_pending"]) or waited > cap:
            return counts, round(waited, 1)
        await asyncio.sleep(0.5)


def reply_latency(topo: Topology, sent: list[Sent]) -> dict[str, Any]:
    """A sender's first message (2xx) → the first reply to them at the simulator."""
    first_reply: dict[str, float] = {}
    pairs = [*zip((s.user_id for s in topo.zalo.sent), topo.zalo.sent_at, strict=False)]
    pairs += [(s.psid, s.at) for s in topo.fb.sent]
    for user, at in pairs:
        first_reply[user] = min(first_reply.get(user, at), at)
    firsts = [s for s in sent if s.first and 200 <= s.status < 300]
    waits = [first_reply[s.user] - s.acked_wall for s in firsts if s.user in first_reply]
    return {"first_messages": len(firsts), "replied": len(waits), "reply_ms": latency(waits)}
