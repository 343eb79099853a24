"""Zalo's side of the webhook: events shaped like Zalo's, signed exactly as Zalo signs them
(``X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + oa_secret_key)``) and POSTed,
duplicates and out-of-order deliveries included."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from devtools.zalo.buttons import buttons_of, choose
from devtools.zalo.state import Delivery, SimulatorState, new_msg_id, numeric_id


class WebhookSide(SimulatorState):
    """Builds, signs and delivers the webhook events Zalo sends the hub."""

    def now_ms(self) -> str:
        return str(int(self.clock() * 1000))

    def event(self, name: str, **fields: Any) -> dict[str, Any]:
        """A Zalo webhook event with the common fields."""
        body: dict[str, Any] = {"app_id": self.app_id, "user_id_by_app": numeric_id(19), "event_name": name}
        body.update(fields)
        body.setdefault("timestamp", self.now_ms())
        return body

    def _user_event(self, name: str, user_id: str, message: dict[str, Any], **fields: Any) -> dict[str, Any]:
        message.setdefault("msg_id", new_msg_id())
        return self.event(
            name, sender={"id": user_id}, recipient={"id": self.oa_id}, message=message, **fields
        )

    def user_text(self, user_id: str, text: str, **fields: Any) -> dict[str, Any]:
        return self._user_event("user_send_text", user_id, {"text": text}, **fields)

    def user_attachment(
        self, kind: str, user_id: str, payload: dict[str, Any], text: str = ""
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"attachments": [{"type": kind, "payload": payload}]}
        if text:
            message["text"] = text
        return self._user_event(f"user_send_{kind}", user_id, message)

    def user_image(self, user_id: str, url: str = "https://photo-stal-1.zdn.vn/anh.jpg") -> dict[str, Any]:
        return self.user_attachment("image", user_id, {"url": url, "thumbnail": url})

    def user_location(
        self, user_id: str, latitude: str = "19.8066", longitude: str = "105.7852"
    ) -> dict[str, Any]:
        coords = {"latitude": latitude, "longitude": longitude}
        return self.user_attachment("location", user_id, {"coordinates": coords})

    def follow(self, user_id: str, *, unfollow: bool = False) -> dict[str, Any]:
        """A (un)follow event; a known user's ``follower`` flag follows it."""
        name = "unfollow" if unfollow else "follow"
        user = self.users.get(user_id)
        if user is not None:
            user.follower = not unfollow
        return self.event(name, oa_id=self.oa_id, follower={"id": user_id}, source="oa_profile")

    def received(self, user_id: str, msg_id: str) -> dict[str, Any]:
        return self.event(
            "user_received_message",
            sender={"id": self.oa_id},
            recipient={"id": user_id},
            message={"msg_id": msg_id},
        )

    def seen(self, user_id: str, msg_ids: Iterable[str]) -> dict[str, Any]:
        return self.event(
            "user_seen_message",
            sender={"id": self.oa_id},
            recipient={"id": user_id},
            message={"msg_ids": list(msg_ids)},
        )

    def oa_echo(self, user_id: str, message_id: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """What Zalo sends after the OA sent ``message`` (from the API or the OA console)."""
        name, echoed = "oa_send_text", {"msg_id": message_id, "text": message.get("text", "")}
        attachment = message.get("attachment")
        if isinstance(attachment, Mapping) and buttons_of(message) is None:  # a text with buttons is text
            name = "oa_send_file" if attachment.get("type") == "file" else "oa_send_image"
            echoed["attachments"] = [{"type": "file" if name == "oa_send_file" else "image", "payload": {}}]
        return self.event(name, sender={"id": self.oa_id}, recipient={"id": user_id}, message=echoed)

    def encode(self, event: Mapping[str, Any]) -> bytes:
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()

    def sign(self, raw: bytes, *, timestamp: str | None = None, secret: str | None = None) -> str:
        """``mac=`` header exactly as Zalo computes it."""
        if timestamp is None:
            timestamp = str(json.loads(raw, parse_int=str)["timestamp"])
        data = self.app_id.encode() + raw + timestamp.encode() + (secret or self.oa_secret_key).encode()
        return "mac=" + hashlib.sha256(data).hexdigest()

    async def _session(self) -> aiohttp.ClientSession:
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession()
        return self._client

    async def deliver(
        self, url: str, event: Mapping[str, Any] | bytes, *, signature: str | None = None, retry: int = 0
    ) -> Delivery:
        """POST one signed delivery (``signature`` overrides the correct one, to forge)."""
        raw = event if isinstance(event, bytes) else self.encode(event)
        headers = {
            "Content-Type": "application/json",
            "X-ZEvent-Signature": signature if signature is not None else self.sign(raw),
            "User-Agent": "ZaloOA-Webhook-Simulator",
        }
        if retry:
            headers["num_retry"] = str(retry)
        session = await self._session()
        async with session.post(url, data=raw, headers=headers) as resp:
            result = Delivery(resp.status, await resp.read(), dict(resp.headers))
        self.deliveries.append(result)
        return result

    async def deliver_many(
        self,
        url: str,
        events: Iterable[Mapping[str, Any]],
        *,
        duplicates: int = 0,
        shuffle: bool = False,
        concurrently: bool = False,
        seed: int = 1022,
    ) -> list[Delivery]:
        """Deliver ``events``; each is delivered ``1 + duplicates`` times (Zalo retries); with
        ``shuffle`` the order is mixed (out-of-order deliveries)."""
        batch: list[tuple[Mapping[str, Any], int]] = [(e, n) for e in events for n in range(1 + duplicates)]
        if shuffle:
            random.Random(seed).shuffle(batch)
        if concurrently:
            return list(await asyncio.gather(*(self.deliver(url, e, retry=n) for e, n in batch)))
        return [await self.deliver(url, e, retry=n) for e, n in batch]

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after_send(self, user_id: str, message_id: str, message: Mapping[str, Any]) -> None:
        assert self.webhook_url
        try:
            await self.deliver(self.webhook_url, self.oa_echo(user_id, message_id, message))
            await asyncio.sleep(self.receipt_delay)  # the phone has to receive it first
            await self.deliver(self.webhook_url, self.received(user_id, message_id))
        except aiohttp.ClientError:
            pass  # Zalo would retry later; the demo does not

    def tap_event(self, user_id: str, which: int | str = 0) -> dict[str, Any]:
        """What Zalo sends when ``user_id`` taps a query button (``which``: 0-based position,
        title or payload) of the last message the OA sent them with buttons."""
        sent_here = (buttons_of(s.message) for s in reversed(self.sent) if s.user_id == user_id)
        offered = next((b for b in sent_here if b is not None), None)
        if offered is None:
            raise LookupError(f"the OA sent {user_id} no buttons")
        return self.user_text(user_id, str(choose(offered, which)["payload"]))

    async def tap(self, user_id: str, which: int | str = 0, *, url: str | None = None) -> Delivery:
        """Deliver :meth:`tap_event`, signed, to ``url`` (default: the webhook)."""
        target = url or self.webhook_url
        if target is None:
            raise LookupError("no webhook to deliver the tap to")
        return await self.deliver(target, self.tap_event(user_id, which))

    async def console_send(self, user_id: str, text: str) -> str:
        """Staff type ``text`` in Zalo's OA console: only the ``oa_send_text`` webhook tells us."""
        message_id = new_msg_id()
        if self.webhook_url:
            await self.deliver(self.webhook_url, self.oa_echo(user_id, message_id, {"text": text}))
        return message_id
