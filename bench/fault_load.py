"""The load of the production fault run: web-chat conversations through nginx (the public
web chat API, polled as the page does without its WebSocket) and Zalo and Facebook citizens
whose webhooks are redelivered on a non-2xx as the vendors do, some also on purpose."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field

import aiohttp

from bench.fault_live import LiveView
from bench.fault_parts import QUESTIONS, REDELIVERY, WEBHOOK_TIMEOUT, Post, Rig

POLL = 0.5  # s between polls for the bot's reply
REPLY_CAP = 30.0  # s a citizen waits for a reply before writing again


@dataclass
class Turn:
    """One web-chat message: its POSTs (same client_id each time) and the bot's reply."""

    chat: int
    client_id: str
    first_try: float
    accepted_at: float | None = None
    ack_s: float | None = None
    attempts: int = 0
    seq: int | None = None
    conversation_id: int | None = None
    replied_at: float | None = None  # the reply seen by polling the history
    pushed_at: float | None = None  # the reply pushed on the page's WebSocket
    refetches: list[float] = field(default_factory=list)  # the page's history fetches on reconnect
    errors: list[str] = field(default_factory=list)
    failed_at: list[float] = field(default_factory=list)


class WebChats:
    """``n`` concurrent web-chat citizens, each writing, waiting for the bot's reply (at
    most ``REPLY_CAP``), pausing, and writing again until ``until`` (a time.time())."""

    def __init__(self, rig: Rig, n: int, pause: tuple[float, float], seed: int = 1022) -> None:
        self.rig, self.n, self.pause = rig, n, pause
        self.turns: list[Turn] = []
        self.sessions_failed = 0
        self.views: list[LiveView] = []
        self.random = random.Random(seed)

    async def run(self, until: float) -> None:
        await asyncio.gather(*(self._citizen(i, until) for i in range(self.n)))

    async def _session(self) -> str | None:
        for pause in (*REDELIVERY, None):
            try:
                async with self.rig.http.post(
                    f"{self.rig.url}/webchat/api/session",
                    json={},
                    timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT),
                ) as r:
                    if r.status == 200:
                        return str((await r.json())["session_token"])
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            if pause is not None:
                await asyncio.sleep(pause)
        self.sessions_failed += 1
        return None

    async def _citizen(self, i: int, until: float) -> None:
        await asyncio.sleep(self.random.uniform(0, self.pause[1]))  # staggered starts
        token = await self._session()
        if token is None:
            return
        auth = {"Authorization": f"Bearer {token}"}
        view = LiveView(self.rig, token)
        self.views.append(view)
        watching = asyncio.ensure_future(view.run(until + REPLY_CAP))
        n = 0
        while time.time() < until:
            turn = Turn(i, str(uuid.uuid4()), time.time())
            self.turns.append(turn)
            view.current = turn
            await self._post(turn, auth, QUESTIONS[(i + n) % len(QUESTIONS)])
            n += 1
            if turn.seq is not None:
                await self._await_reply(turn, auth)
            await asyncio.sleep(self.random.uniform(*self.pause))
        last = view.current
        for _ in range(20):  # the last reply's push may trail the poll that saw it (at most 2 s)
            if last is None or last.pushed_at is not None or last.replied_at is None:
                break
            await asyncio.sleep(0.1)
        watching.cancel()

    async def _post(self, turn: Turn, auth: dict[str, str], text: str) -> None:
        body = {"client_id": turn.client_id, "text": text}
        for pause in (*REDELIVERY, None):
            turn.attempts += 1
            tried = time.time()
            try:
                async with self.rig.http.post(
                    f"{self.rig.url}/webchat/api/messages",
                    headers=auth,
                    json=body,
                    timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT),
                ) as r:
                    if r.status == 200:
                        turn.accepted_at = time.time()
                        turn.ack_s = turn.accepted_at - tried
                        answer = await r.json()
                        turn.seq, turn.conversation_id = int(answer["seq"]), answer["conversation_id"]
                        return
                    turn.errors.append(f"HTTP {r.status}")
            except (TimeoutError, aiohttp.ClientError, OSError) as err:
                turn.errors.append(type(err).__name__)
            turn.failed_at.append(tried)
            if pause is not None:
                await asyncio.sleep(pause)

    async def _await_reply(self, turn: Turn, auth: dict[str, str]) -> None:
        assert turn.seq is not None
        while time.time() - (turn.accepted_at or turn.first_try) < REPLY_CAP:
            await asyncio.sleep(POLL)
            try:
                async with self.rig.http.get(
                    f"{self.rig.url}/webchat/api/messages?after={turn.seq}",
                    headers=auth,
                    timeout=aiohttp.ClientTimeout(total=5),
                ) as r:
                    if r.status != 200:
                        continue
                    messages = (await r.json())["messages"]
            except (TimeoutError, aiohttp.ClientError, OSError, ValueError):
                continue
            if any(m["direction"] == "out" for m in messages):
                turn.replied_at = time.time()
                return


async def webhooks(rig: Rig, until: float, rate: float, dup_every: int) -> None:
    """Zalo and Facebook citizens taking turns at ``rate`` per second until ``until``; every
    ``dup_every``-th is delivered once more on purpose after its 2xx."""
    tasks: list[asyncio.Future[Post]] = []
    started, i = time.time(), 0
    while time.time() < until:
        channel = ("zalo", "facebook")[i % 2]
        dup = 1 if dup_every and (i // 2) % dup_every == dup_every - 1 else 0  # both channels
        tasks.append(
            asyncio.ensure_future(rig.citizen(channel, QUESTIONS[i % len(QUESTIONS)], duplicates=dup))
        )
        i += 1
        await asyncio.sleep(max(0.0, started + i / rate - time.time()))
    await asyncio.gather(*tasks)
