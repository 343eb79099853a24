"""What Facebook sends the hub: builders for every webhook event type, and signed deliveries
(``X-Hub-Signature-256`` over the exact bytes), several entries and events, duplicates and
out-of-order posting; the ``message_echoes`` and ``message_deliveries`` that follow a send."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from devtools.facebook.profile import choose
from devtools.facebook.state import PAGE_INBOX_APP_ID, SentMessage, SimulatorState


class WebhookSide(SimulatorState):
    """Builds, signs and posts the webhook deliveries Facebook sends the hub."""

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def new_mid(self) -> str:
        return f"m_in{next(self._mids):06d}{secrets.token_hex(6)}"

    def _citizen(self, psid: str, ts: int | None) -> tuple[dict[str, Any], int]:
        ts = self.now_ms() if ts is None else ts
        user = self.users.get(psid) or self.add_user(psid)
        user.last_inbound = max(user.last_inbound or 0.0, ts / 1000)
        return {"sender": {"id": psid}, "recipient": {"id": self.page_id}, "timestamp": ts}, ts

    def text(
        self,
        psid: str,
        text: str,
        *,
        mid: str | None = None,
        ts: int | None = None,
        quick_reply: str | None = None,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        event, _ = self._citizen(psid, ts)
        message: dict[str, Any] = {"mid": mid or self.new_mid(), "text": text}
        if quick_reply is not None:
            message["quick_reply"] = {"payload": quick_reply}
        if reply_to is not None:
            message["reply_to"] = {"mid": reply_to}
        event["message"] = message
        return event

    def attachments(
        self, psid: str, items: Iterable[Mapping[str, Any]], *, text: str | None = None, ts: int | None = None
    ) -> dict[str, Any]:
        event, _ = self._citizen(psid, ts)
        message: dict[str, Any] = {"mid": self.new_mid(), "attachments": [dict(a) for a in items]}
        if text is not None:
            message["text"] = text
        event["message"] = message
        return event

    def postback(self, psid: str, title: str, payload: str, *, ts: int | None = None) -> dict[str, Any]:
        event, _ = self._citizen(psid, ts)
        event["postback"] = {"title": title, "payload": payload, "mid": self.new_mid()}
        return event

    def tap(self, psid: str, which: int | str = 0, *, ts: int | None = None) -> dict[str, Any]:
        """The citizen taps a quick reply of the last message sent to ``psid`` that had some
        (``which``: 0-based position, title or payload): Messenger sends a message whose text
        is the title and whose ``quick_reply.payload`` is the payload."""
        sent_here = (s.message for s in reversed(self.sent) if s.psid == psid)
        offered = next((m["quick_replies"] for m in sent_here if "quick_replies" in m), None)
        if offered is None:
            raise LookupError(f"the Page sent {psid} no quick replies")
        chosen = choose(offered, which)
        return self.text(psid, str(chosen["title"]), quick_reply=str(chosen["payload"]), ts=ts)

    def get_started(self, psid: str, *, title: str = "Bắt đầu", ts: int | None = None) -> dict[str, Any]:
        """The person taps the Page's Get Started button (its payload as set in the profile)."""
        started = self.profile.get("get_started")
        if not isinstance(started, dict):
            raise LookupError("the Page has no Get Started button: set the Messenger profile first")
        return self.postback(psid, title, str(started["payload"]), ts=ts)

    def echo(
        self,
        psid: str,
        text: str,
        *,
        app_id: int | str | None = PAGE_INBOX_APP_ID,
        metadata: str | None = None,
        mid: str | None = None,
        ts: int | None = None,
    ) -> dict[str, Any]:
        """A ``message_echoes`` event: the Page sent ``text`` to ``psid``. The default app id
        is the Page Inbox's (staff typing); pass ``app_id=sim.app_id`` for our own sends."""
        message: dict[str, Any] = {"is_echo": True, "mid": mid or self.new_mid(), "text": text}
        if app_id is not None:
            message["app_id"] = int(app_id)
        if metadata is not None:
            message["metadata"] = metadata
        return {
            "sender": {"id": self.page_id},
            "recipient": {"id": psid},
            "timestamp": self.now_ms() if ts is None else ts,
            "message": message,
        }

    def delivery_receipt(
        self, psid: str, mids: Iterable[str], watermark: int | None = None
    ) -> dict[str, Any]:
        return {
            "sender": {"id": psid},
            "recipient": {"id": self.page_id},
            "delivery": {"mids": list(mids), "watermark": self.now_ms() if watermark is None else watermark},
        }

    def read_receipt(self, psid: str, watermark: int | None = None) -> dict[str, Any]:
        now = self.now_ms()
        return {
            "sender": {"id": psid},
            "recipient": {"id": self.page_id},
            "timestamp": now,
            "read": {"watermark": now if watermark is None else watermark},
        }

    def entry(self, *events: Mapping[str, Any], standby: bool = False) -> dict[str, Any]:
        return {
            "id": self.page_id,
            "time": self.now_ms(),
            "standby" if standby else "messaging": list(events),
        }

    @staticmethod
    def delivery(*entries: Mapping[str, Any]) -> dict[str, Any]:
        return {"object": "page", "entry": list(entries)}

    # ------------------------------------------------------------------ posting webhooks

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def encode(self, payload: Mapping[str, Any] | bytes) -> bytes:
        if isinstance(payload, bytes):
            return payload
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    async def post(
        self,
        url: str,
        payload: Mapping[str, Any] | bytes,
        *,
        forge: bool = False,
        session: aiohttp.ClientSession | None = None,
    ) -> tuple[int, str]:
        """POST one delivery signed as Facebook signs it (``forge=True``: wrong secret)."""
        body = self.encode(payload)
        sig = (
            self.sign(body)
            if not forge
            else "sha256=" + hmac.new(b"forged", body, hashlib.sha256).hexdigest()
        )
        client = session or self._session
        assert client is not None, "start() the simulator or pass a session"
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sig}
        async with client.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.text()

    async def post_many(
        self,
        url: str,
        payloads: Iterable[Mapping[str, Any] | bytes],
        *,
        copies: int = 1,
        shuffle_seed: int | None = None,
        concurrency: int = 1,
        session: aiohttp.ClientSession | None = None,
    ) -> list[int]:
        """Post every delivery ``copies`` times (Facebook retries), in a shuffled order when
        ``shuffle_seed`` is given (out-of-order deliveries), ``concurrency`` at a time."""
        bodies = [self.encode(p) for p in payloads for _ in range(copies)]
        if shuffle_seed is not None:
            random.Random(shuffle_seed).shuffle(bodies)
        gate = asyncio.Semaphore(concurrency)

        async def one(body: bytes) -> int:
            async with gate:
                status, _ = await self.post(url, body, session=session)
                return status

        return list(await asyncio.gather(*(one(b) for b in bodies)))

    def _after_send(self, sent: SentMessage) -> None:
        if not self.webhook_url or not (self.auto_echo or self.auto_delivery):
            return
        task = asyncio.get_running_loop().create_task(self._callbacks(sent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _callbacks(self, sent: SentMessage) -> None:
        assert self.webhook_url is not None
        await asyncio.sleep(self.callback_delay)
        events: list[dict[str, Any]] = []
        if self.auto_echo:
            echo = self.echo(sent.psid, str(sent.message.get("text", "")), app_id=self.app_id, mid=sent.mid)
            echo["message"]["metadata"] = sent.message.get("metadata")
            if "attachment" in sent.message:
                del echo["message"]["text"]
                echo["message"]["attachments"] = [sent.message["attachment"]]
            events.append(echo)
        if self.auto_delivery:
            events.append(self.delivery_receipt(sent.psid, [sent.mid]))
        for event in events:
            body = self.encode(self.delivery(self.entry(event)))
            try:
                status, _ = await self.post(self.webhook_url, body)
            except aiohttp.ClientError:
                status = 0
            self.webhook_posts.append((status, body))
