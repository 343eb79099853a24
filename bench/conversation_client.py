"""One citizen's web chat session through the hub's public API (``bot/static/openapi.json``):
``POST /webchat/api/session``, ``POST /webchat/api/messages``, ``GET /webchat/api/messages``
and the WebSocket ``/webchat/ws`` (only for the time a reply arrives).

A turn is complete when the hub pushes ``processed`` for the citizen's message (hubs whose
WebSocket hello lists that event: nothing is polled, so measuring adds no load), else when a
read of the message shows it ``processed`` (polled), else after a quiet period following the
first bot reply (older hubs); a turn without any reply ends after ``turn_timeout``.
Latency = the POST sent -> the first bot reply of the turn pushed on the WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.conversation_reading import BotMessage


@dataclass(frozen=True)
class Timing:
    quiet: float = 1.0  # s of silence after the first reply that ends a turn (old hubs)
    turn_timeout: float = 15.0  # s to wait for a turn's first reply
    poll: float = 0.25  # s between reads of the citizen message's "processed" flag


@dataclass
class TurnResult:
    replies: list[BotMessage]
    latency: float | None  # s, POST -> first bot reply; None without a reply
    seq: int
    conversation_id: int | None
    complete: str  # "processed" | "quiet" | "timeout"


@dataclass
class WebChat:
    http: aiohttp.ClientSession
    base: str
    timing: Timing = field(default_factory=Timing)
    token: str = ""
    conversation_ids: list[int] = field(default_factory=list)
    processed_flag: bool | None = None  # does this hub mark citizen messages "processed"?
    _events: asyncio.Queue[tuple[float, dict[str, Any]]] = field(default_factory=asyncio.Queue)
    live_events: frozenset[str] = frozenset()  # what the hub's WebSocket pushes (its hello)
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        async with self.http.post(f"{self.base}/webchat/api/session", json={}) as r:
            r.raise_for_status()
            body = await r.json()
        self.token = body["session_token"]
        self._note_conversation(body.get("conversation_id"))
        self._ws = await self.http.ws_connect(f"{self.base}/webchat/ws?token={self.token}")
        hello = await self._ws.receive_json(timeout=self.timing.turn_timeout)
        self.live_events = frozenset(hello.get("events") or ("message",))
        self._reader = asyncio.create_task(self._read_ws(self._ws))

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._ws is not None:
            await self._ws.close()

    def _note_conversation(self, conv: object) -> None:
        if isinstance(conv, int) and conv not in self.conversation_ids:
            self.conversation_ids.append(conv)

    async def _read_ws(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            event = frame.json()
            kind = event.get("type")
            if (kind == "message" and isinstance(event.get("message"), dict)) or kind == "processed":
                await self._events.put((time.perf_counter(), event))

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def messages(self, after: int) -> list[dict[str, Any]]:
        async with self.http.get(
            f"{self.base}/webchat/api/messages", params={"after": str(after)}, headers=self._auth
        ) as r:
            r.raise_for_status()
            body = await r.json()
        self._note_conversation(body.get("conversation_id"))
        return list(body.get("messages") or [])

    async def _processed(self, seq: int) -> tuple[bool | None, bool]:
        """The citizen message's ``processed`` flag (None when the hub gives none) and
        whether a bot reply follows it."""
        listed = await self.messages(seq - 1)
        mine = [m for m in listed if m.get("seq") == seq and m.get("direction") == "in"]
        replied = any(m.get("direction") == "out" and int(m.get("seq") or 0) > seq for m in listed)
        if not mine or "processed" not in mine[0]:
            return None, replied
        return bool(mine[0]["processed"]), replied

    async def turn(self, text: str) -> TurnResult:
        started = time.perf_counter()
        async with self.http.post(
            f"{self.base}/webchat/api/messages",
            headers=self._auth,
            json={"client_id": str(uuid.uuid4()), "text": text},
        ) as r:
            r.raise_for_status()
            sent = await r.json()
        seq = int(sent["seq"])
        self._note_conversation(sent.get("conversation_id"))
        pushed: list[dict[str, Any]] | None = None
        if "processed" in self.live_events:
            complete, first, pushed = await self._wait_live(seq, sent.get("conversation_id"), started)
        else:
            if self.processed_flag is None:
                self.processed_flag = (await self._processed(seq))[0] is not None
            complete, first = await self._wait(seq, started)
        if pushed is None:  # no push to read them from: ask for the history, as a reload does
            pushed = [m for m in await self.messages(seq) if m.get("direction") == "out"]
        replies = [BotMessage.from_api(m) for m in pushed if int(m.get("seq") or 0) > seq]
        latency = first - started if first is not None else None
        return TurnResult(replies, latency, seq, sent.get("conversation_id"), complete)

    async def _wait_live(
        self, seq: int, conv: object, started: float
    ) -> tuple[str, float | None, list[dict[str, Any]] | None]:
        """The hub pushes "processed" once the bot's turn is over (its replies pushed before,
        their ids listed in it): no polling and, like the page (chat.js), the replies read
        from the pushes, so the measurement adds no load to the hub. The replies are None
        when one of them was not seen pushed (then the caller reads the history)."""
        first: float | None = None
        seen: dict[int, dict[str, Any]] = {}
        while True:
            left = self.timing.turn_timeout - (time.perf_counter() - started)
            try:
                at, event = await asyncio.wait_for(self._events.get(), timeout=max(left, 0.0))
            except TimeoutError:
                return "timeout", first, None
            if event.get("conversation_id") != conv:
                continue
            if event["type"] == "processed" and event.get("seq") == seq:
                ids = event.get("replies")
                if not isinstance(ids, list) or any(i not in seen for i in ids):
                    return "processed", first, None
                return "processed", first, sorted((seen[i] for i in ids), key=lambda m: int(m["seq"]))
            msg = event.get("message") or {}
            if msg.get("direction") == "out" and int(msg.get("seq") or 0) > seq:
                seen[int(msg["id"])] = msg
                first = at if first is None else first

    async def _wait(self, seq: int, started: float) -> tuple[str, float | None]:
        """Hubs without the "processed" event: poll the message's flag, or wait for quiet."""
        t = self.timing
        first: float | None = None
        last = polled = started
        processed_at: float | None = None  # processed: wait briefly for the reply's push
        while True:
            now = time.perf_counter()
            if processed_at is not None and (first is not None or now - processed_at >= 1.0):
                return "processed", first
            if now - started >= t.turn_timeout:
                return "timeout", first
            try:
                at, event = await asyncio.wait_for(self._events.get(), timeout=0.05 if first else 0.2)
                msg = event.get("message") or {}
                if msg.get("direction") == "out" and int(msg.get("seq") or 0) > seq:
                    first = first if first is not None else at
                    last = at
                continue
            except TimeoutError:
                pass
            now = time.perf_counter()
            if self.processed_flag and processed_at is None:
                if now - polled >= t.poll:
                    polled = now
                    done, replied = await self._processed(seq)
                    if done and not replied:
                        return "processed", first
                    if done:
                        processed_at = now
            elif not self.processed_flag and first is not None and now - last >= t.quiet:
                return "quiet", first
