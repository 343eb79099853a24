"""The web-chat page's live view, as ``bot/static/webchat/chat.js`` keeps it: one WebSocket
per citizen (``/webchat/ws?token=``), reconnected with a backoff when it closes (a killed web
process), the history fetched again on each (re)connect and on a ``resync`` (the hub's
live events were cut). Per turn it notes whether the bot's
reply was pushed on the socket, or would have been shown by the fetch after a reconnect;
a reply neither pushed nor refetched stays off the citizen's screen until the next event."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from bench.fault_load import Turn
    from bench.fault_parts import Rig

RESYNC_AGAIN = 3.0  # s: chat.js reads the history again this long after a resync
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)  # s between reconnects (chat.js: 0.5 s doubling, jittered)


class LiveView:
    """``current``: the citizen's latest turn (set by the citizen loop)."""

    def __init__(self, rig: Rig, token: str) -> None:
        self.rig, self.token = rig, token
        self._current: Turn | None = None
        self.turns: list[Turn] = []  # every turn of this citizen: a fetch shows any missed reply
        self.connects = 0

    @property
    def current(self) -> Turn | None:
        return self._current

    @current.setter
    def current(self, turn: Turn | None) -> None:
        self._current = turn
        if turn is not None:
            self.turns.append(turn)

    def _fetched(self, *at: float) -> None:
        """chat.js reads the whole history after its last message: every reply not pushed
        and stored by then shows (the count compares ``at`` with when it was stored)."""
        for turn in self.turns:
            if turn.pushed_at is None:
                turn.refetches.extend(at)

    async def run(self, until: float) -> None:
        """Stay connected until ``until`` (bounded: one connection at a time, a pause between)."""
        url = self.rig.url.replace("https://", "wss://") + f"/webchat/ws?token={self.token}"
        failures = 0
        while time.time() < until:
            try:
                async with self.rig.http.ws_connect(
                    url, heartbeat=25, timeout=aiohttp.ClientWSTimeout(10)
                ) as ws:
                    self.connects += 1
                    failures = 0
                    self._refetched()
                    await self._read(ws, until)
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            await asyncio.sleep(BACKOFF[min(failures, len(BACKOFF) - 1)])
            failures += 1

    def _refetched(self) -> None:
        """chat.js fetches the history on every (re)connect: a reply already stored shows."""
        if self.connects > 1:
            self._fetched(time.time())

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, until: float) -> None:
        while time.time() < until:
            try:
                frame = await ws.receive(timeout=max(0.1, until - time.time()))
            except TimeoutError:
                return
            if frame.type != aiohttp.WSMsgType.TEXT:
                return  # closed (the web process died) or an error: reconnect
            self._event(frame.json())

    def _event(self, event: dict[str, Any]) -> None:
        turn = self.current
        if event.get("type") == "resync":  # the hub's live events were cut: chat.js reads the history
            self._fetched(time.time(), time.time() + RESYNC_AGAIN)  # now and 3 s later
            return
        message = event.get("message") or {}
        if event.get("type") != "message" or message.get("direction") != "out" or turn is None:
            return
        if turn.seq is not None and int(message.get("seq", 0)) > turn.seq and turn.pushed_at is None:
            if event.get("conversation_id") == turn.conversation_id:
                turn.pushed_at = time.time()
