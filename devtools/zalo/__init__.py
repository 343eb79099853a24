"""A faithful Zalo OA simulator: a real aiohttp server on loopback.

It implements what the hub's Zalo connector talks to:

* ``POST /v3.0/oa/message/cs`` (header ``access_token``): consultation messages (text up to
  2,000 characters, image by ``attachment_id`` or URL, file by upload ``token``, a text with a
  button template: :mod:`devtools.zalo.buttons`); errors come as HTTP 200 with
  ``error != 0`` like Zalo's;
* ``POST /v2.0/oa/upload/image`` (jpg/png, <= 1 MB) -> ``attachment_id`` and
  ``POST /v2.0/oa/upload/file`` (pdf/doc/docx, <= 5 MB) -> ``token``;
* ``GET /v3.0/oa/user/detail?data={"user_id": ...}``;
* ``POST /v4/oa/access_token`` (header ``secret_key``, form ``refresh_token``, ``app_id``,
  ``grant_type=refresh_token``) with real rotation: a refresh token works once, and the access
  token it replaces stops working.

Tests script faults (``sim.script(Fault.rate_limited(), Fault.http(503), Fault.hang(), ...)``):
each fault is consumed by the next matching request. Every accepted message is recorded in
``sim.sent``; ``sim.refresh_calls`` counts OAuth refreshes.

It also plays Zalo's side of the webhook: builds events shaped like Zalo's, signs them exactly
as Zalo does (``X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + oa_secret_key)``)
and POSTs them (duplicates and out-of-order deliveries included). With ``webhook_url`` set it
also sends the ``oa_send_*`` echo and ``user_received_message`` after each API send, and
``console_send`` imitates staff typing a reply in Zalo's OA console. ``tap`` delivers what Zalo
sends when the person taps a query button of the last message the OA sent them: a signed
``user_send_text`` whose text is the button's payload.

Standalone demo: ``python -m devtools.zalo --port 9001 --webhook URL`` (see
docs/zalo.md): it prints the environment variables to give the hub and offers
``POST /_sim/say`` (a citizen writes), ``POST /_sim/console`` (staff reply in the console),
``GET /_sim/sent`` and ``POST /_sim/faults``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from devtools.zalo.buttons import buttons_of, check_buttons, choose

MAX_TEXT = 2000
IMAGE_TYPES = {"image/jpeg", "image/jpg", "image/png"}
FILE_EXTENSIONS = {"pdf", "doc", "docx"}
MAX_IMAGE = 1024 * 1024
MAX_FILE = 5 * 1024 * 1024

# Zalo's messages for the codes the simulator returns (developers.zalo.me, Bảng mã lỗi)
ERROR_MESSAGES = {
    -32: "Your application reached limit call api",
    -201: "Parameters are invalid",
    -210: "Parameter exceeds allowable limit",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -230: "User has not interacted with the OA in the past 7 days",
}
OAUTH_INVALID_REFRESH = -14014  # simulated code for a spent/unknown refresh token
OAUTH_INVALID_SECRET = -14002


def _numeric_id(digits: int = 19) -> str:
    """Zalo ids are decimal strings, often above 2**53."""
    return str(random.randint(10 ** (digits - 1), 10**digits - 1))


def _msg_id() -> str:
    return secrets.token_hex(16)


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """One scripted failure, consumed by the next request to ``endpoint``.

    ``endpoint``: ``"message"``, ``"upload"``, ``"user"``, ``"oauth"`` or ``"*"``.
    ``kind``: ``"zalo"`` (HTTP 200 with ``error=code``), ``"http"`` (HTTP status ``code``,
    with ``Retry-After`` when given) or ``"hang"`` (never answers within ``seconds``).
    ``after``: let this many matching requests through first."""

    kind: str
    code: int = 0
    endpoint: str = "message"
    retry_after: float | None = None
    seconds: float = 60.0
    after: int = 0

    @classmethod
    def zalo(cls, code: int, endpoint: str = "message") -> Fault:
        return cls("zalo", code, endpoint)

    @classmethod
    def rate_limited(cls, endpoint: str = "message") -> Fault:
        return cls.zalo(-32, endpoint)

    @classmethod
    def expired_token(cls, endpoint: str = "message") -> Fault:
        return cls.zalo(-216, endpoint)

    @classmethod
    def not_interacted(cls) -> Fault:
        return cls.zalo(-230)

    @classmethod
    def not_follower(cls) -> Fault:
        return cls.zalo(-213)

    @classmethod
    def http(cls, status: int, *, retry_after: float | None = None, endpoint: str = "message") -> Fault:
        return cls("http", status, endpoint, retry_after)

    @classmethod
    def hang(cls, seconds: float = 60.0, endpoint: str = "message") -> Fault:
        return cls("hang", 0, endpoint, seconds=seconds)


@dataclass
class SimUser:
    user_id: str
    display_name: str
    follower: bool = True
    phone: str | None = None
    address: str | None = None


@dataclass
class SentMessage:
    message_id: str
    user_id: str
    message: dict[str, Any]
    access_token: str

    @property
    def text(self) -> str:
        text = self.message.get("text")
        return text if isinstance(text, str) else ""


@dataclass
class Upload:
    key: str
    kind: str  # image | file
    filename: str
    content_type: str
    content: bytes


@dataclass
class Delivery:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- the simulator


class ZaloSimulator:
    def __init__(
        self,
        *,
        app_id: str | None = None,
        app_secret: str = "sim-app-secret",
        oa_secret_key: str = "sim-oa-secret-key",
        oa_id: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        webhook_url: str | None = None,
        access_token_ttl: int = 90000,
        receipt_delay: float = 0.3,
    ) -> None:
        self.app_id = app_id or _numeric_id(19)
        self.app_secret = app_secret
        self.oa_secret_key = oa_secret_key
        self.oa_id = oa_id or _numeric_id(19)
        self.host, self.port = host, port
        self.clock = clock
        self.webhook_url = webhook_url
        self.access_token_ttl = access_token_ttl
        self.receipt_delay = receipt_delay  # device round trip before user_received_message
        self.access_tokens: set[str] = {"sim-access-" + secrets.token_urlsafe(12)}
        self.refresh_token = "sim-refresh-" + secrets.token_urlsafe(12)
        self.spent_refresh_tokens: set[str] = set()
        self.refresh_calls = 0
        self.users: dict[str, SimUser] = {}
        self.sent: list[SentMessage] = []
        self.uploads: dict[str, Upload] = {}
        self.requests: list[tuple[str, str]] = []  # (endpoint, outcome) per API request
        self.deliveries: list[Delivery] = []  # webhook POSTs we made
        self._faults: deque[Fault] = deque()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- lifecycle

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/v2.0/oa/upload/file", self._upload_file)
        app.router.add_get("/v3.0/oa/user/detail", self._user_detail)
        app.router.add_post("/v4/oa/access_token", self._oauth)
        app.router.add_post("/_sim/say", self._ctl_say)
        app.router.add_post("/_sim/console", self._ctl_console)
        app.router.add_post("/_sim/tap", self._ctl_tap)
        app.router.add_get("/_sim/sent", self._ctl_sent)
        app.router.add_post("/_sim/faults", self._ctl_faults)
        return app

    async def start(self) -> ZaloSimulator:
        self._runner = web.AppRunner(self.app(), shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        self._closing.set()
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> ZaloSimulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def access_token(self) -> str:
        """The newest valid access token."""
        return sorted(self.access_tokens)[0] if self.access_tokens else ""

    def settings(self) -> dict[str, str]:
        """The ``zalo:`` section of credentials.yml pointing at this simulator."""
        return {
            "app_id": self.app_id,
            "app_secret": self.app_secret,
            "oa_secret_key": self.oa_secret_key,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "api_base": self.base_url,
            "oauth_base": self.base_url,
        }

    def env(self) -> dict[str, str]:
        return {"ZALO_" + key.upper(): value for key, value in self.settings().items()}

    # ----------------------------------------------------------------- test controls

    def add_user(
        self, display_name: str = "Nguyễn Văn An", *, user_id: str | None = None, **kw: Any
    ) -> SimUser:
        user = SimUser(user_id or _numeric_id(19), display_name, **kw)
        self.users[user.user_id] = user
        return user

    def script(self, *faults: Fault) -> None:
        self._faults.extend(faults)

    def expire_access_token(self) -> None:
        """The current access token stops working (Zalo answers -216 until a refresh)."""
        self.access_tokens.clear()

    def pending_faults(self) -> int:
        return len(self._faults)

    def _take_fault(self, endpoint: str) -> Fault | None:
        for fault in list(self._faults):
            if fault.endpoint in (endpoint, "*"):
                if fault.after > 0:
                    fault.after -= 1
                    return None
                self._faults.remove(fault)
                return fault
        return None

    async def _apply_fault(self, endpoint: str) -> web.Response | None:
        fault = self._take_fault(endpoint)
        if fault is None:
            return None
        self.requests.append((endpoint, f"fault:{fault.kind}:{fault.code}"))
        if fault.kind == "hang":
            try:
                await asyncio.wait_for(self._closing.wait(), fault.seconds)
            except TimeoutError:
                pass
            return web.json_response({"error": 0, "message": "Success (too late)"})
        if fault.kind == "http":
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
            return web.json_response(
                {"error": fault.code, "message": "HTTP error"}, status=fault.code, headers=headers
            )
        return self._zalo_error(fault.code)

    @staticmethod
    def _zalo_error(code: int, message: str | None = None) -> web.Response:
        return web.json_response({"error": code, "message": message or ERROR_MESSAGES.get(code, "Error")})

    def _token_ok(self, request: web.Request) -> bool:
        return request.headers.get("access_token", "") in self.access_tokens

    # ----------------------------------------------------------------- OA API

    async def _send(self, request: web.Request) -> web.Response:
        fault = await self._apply_fault("message")
        if fault is not None:
            return fault
        if not self._token_ok(request):
            self.requests.append(("message", "-216"))
            return self._zalo_error(-216)
        try:
            body = await request.json()
            user_id = body["recipient"]["user_id"]
            message = body["message"]
        except (ValueError, KeyError, TypeError):
            return self._zalo_error(-201, "recipient.user_id or message is invalid")
        if not isinstance(user_id, str) or not isinstance(message, dict):
            return self._zalo_error(-201, "recipient.user_id is invalid")
        problem = self._check_message(message)
        if problem is not None:
            return self._zalo_error(*problem)
        user = self.users.get(user_id)
        if user is not None and not user.follower:
            return self._zalo_error(-213)
        message_id = _msg_id()
        self.sent.append(SentMessage(message_id, user_id, message, request.headers["access_token"]))
        self.requests.append(("message", "ok"))
        if self.webhook_url:
            self._spawn(self._after_send(user_id, message_id, message))
        return web.json_response(
            {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}}
        )

    def _check_message(self, message: Mapping[str, Any]) -> tuple[int, str] | None:
        text = message.get("text")
        attachment = message.get("attachment")
        if text is None and attachment is None:
            return -201, "message.text or message.attachment is required"
        if text is not None and (not isinstance(text, str) or not text.strip()):
            return -201, "message.text is invalid"
        if isinstance(text, str) and len(text) > MAX_TEXT:
            return -210, "text length exceeds 2000 characters"
        if attachment is None:
            return None
        if buttons_of(message) is not None:
            return check_buttons(message)
        try:
            payload = attachment["payload"]
            if attachment["type"] == "file":
                return None if payload["token"] in self.uploads else (-201, "token is invalid")
            element = payload["elements"][0]
            if "attachment_id" in element:
                return (
                    None if element["attachment_id"] in self.uploads else (-201, "attachment_id is invalid")
                )
            return None if str(element.get("url", "")).startswith("http") else (-201, "url is invalid")
        except (KeyError, TypeError, IndexError):
            return -201, "attachment is invalid"

    async def _read_upload(self, request: web.Request) -> tuple[str, str, bytes] | None:
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, aiohttp.BodyPartReader) and part.name == "file":
                content = await part.read(decode=False)
                ctype = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "application/octet-stream")
                return part.filename or "file", ctype, bytes(content)
        return None

    async def _upload(self, request: web.Request, kind: str) -> web.Response:
        fault = await self._apply_fault("upload")
        if fault is not None:
            return fault
        if not self._token_ok(request):
            return self._zalo_error(-216)
        found = await self._read_upload(request)
        if found is None:
            return self._zalo_error(-201, "file is required")
        filename, ctype, content = found
        if kind == "image":
            if ctype.lower() not in IMAGE_TYPES:
                return self._zalo_error(-201, "image type is not supported")
            if len(content) > MAX_IMAGE:
                return self._zalo_error(-210, "image size exceeds 1MB")
        else:
            if filename.rsplit(".", 1)[-1].lower() not in FILE_EXTENSIONS:
                return self._zalo_error(-201, "file type is not supported")
            if len(content) > MAX_FILE:
                return self._zalo_error(-210, "file size exceeds 5MB")
        key = secrets.token_urlsafe(24)
        self.uploads[key] = Upload(key, kind, filename, ctype, content)
        self.requests.append(("upload", "ok"))
        data = {"attachment_id": key} if kind == "image" else {"token": key}
        return web.json_response({"error": 0, "message": "Success", "data": data})

    async def _upload_image(self, request: web.Request) -> web.Response:
        return await self._upload(request, "image")

    async def _upload_file(self, request: web.Request) -> web.Response:
        return await self._upload(request, "file")

    async def _user_detail(self, request: web.Request) -> web.Response:
        fault = await self._apply_fault("user")
        if fault is not None:
            return fault
        if not self._token_ok(request):
            return self._zalo_error(-216)
        try:
            user_id = json.loads(request.query.get("data", ""))["user_id"]
        except (ValueError, KeyError, TypeError):
            return self._zalo_error(-201, "data is invalid")
        user = self.users.get(str(user_id))
        if user is None:
            return self._zalo_error(-201, "user_id is invalid")
        shared = (
            {"name": user.display_name, "phone": user.phone, "address": user.address} if user.phone else None
        )
        data: dict[str, Any] = {
            "user_id": user.user_id,
            "user_id_by_app": _numeric_id(19),
            "user_external_id": "",
            "display_name": user.display_name,
            "user_alias": user.display_name,
            "is_sensitive": False,
            "user_last_interaction_date": time.strftime("%d/%m/%Y", time.gmtime(self.clock())),
            "user_is_follower": user.follower,
            "avatar": f"https://s120-ava-talk.zadn.vn/{user.user_id}.jpg",
            "avatars": {"120": f"https://s120-ava-talk.zadn.vn/{user.user_id}.jpg", "240": ""},
            "shared_info": shared,
        }
        return web.json_response({"error": 0, "message": "Success", "data": data})

    async def _oauth(self, request: web.Request) -> web.Response:
        fault = await self._apply_fault("oauth")
        if fault is not None:
            return fault
        self.refresh_calls += 1
        form = await request.post()
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            return web.json_response(
                {
                    "error": OAUTH_INVALID_SECRET,
                    "error_name": "Invalid app",
                    "error_description": "app is invalid",
                }
            )
        token = form.get("refresh_token")
        if form.get("grant_type") != "refresh_token" or token != self.refresh_token:
            return web.json_response(
                {
                    "error": OAUTH_INVALID_REFRESH,
                    "error_name": "Invalid refresh token",
                    "error_description": "refresh_token is invalid or has been used",
                }
            )
        self.spent_refresh_tokens.add(self.refresh_token)
        self.refresh_token = "sim-refresh-" + secrets.token_urlsafe(12)
        new_access = "sim-access-" + secrets.token_urlsafe(12)
        self.access_tokens = {new_access}  # the replaced access token stops working
        return web.json_response(
            {
                "access_token": new_access,
                "refresh_token": self.refresh_token,
                "expires_in": str(self.access_token_ttl),
            }
        )

    # ----------------------------------------------------------------- webhook side

    def now_ms(self) -> str:
        return str(int(self.clock() * 1000))

    def event(self, name: str, **fields: Any) -> dict[str, Any]:
        """A Zalo webhook event with the common fields."""
        body: dict[str, Any] = {"app_id": self.app_id, "user_id_by_app": _numeric_id(19), "event_name": name}
        body.update(fields)
        body.setdefault("timestamp", self.now_ms())
        return body

    def _user_event(self, name: str, user_id: str, message: dict[str, Any], **fields: Any) -> dict[str, Any]:
        message.setdefault("msg_id", _msg_id())
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
        name = "unfollow" if unfollow else "follow"
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
        message_id = _msg_id()
        if self.webhook_url:
            await self.deliver(self.webhook_url, self.oa_echo(user_id, message_id, {"text": text}))
        return message_id

    # ----------------------------------------------------------------- demo controls

    async def _ctl_say(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = str(body.get("user_id") or next(iter(self.users), "") or self.add_user().user_id)
        if user_id not in self.users:
            self.add_user(str(body.get("display_name") or "Công dân thử nghiệm"), user_id=user_id)
        event = self.user_text(user_id, str(body.get("text", "Xin chào")))
        if not self.webhook_url:
            return web.json_response({"error": "simulator started without --webhook"}, status=400)
        delivery = await self.deliver(self.webhook_url, event)
        return web.json_response({"event": event, "hub_status": delivery.status})

    async def _ctl_console(self, request: web.Request) -> web.Response:
        body = await request.json()
        message_id = await self.console_send(str(body["user_id"]), str(body.get("text", "")))
        return web.json_response({"msg_id": message_id})

    async def _ctl_tap(self, request: web.Request) -> web.Response:
        body = await request.json()
        which = body.get("button", 0)
        try:
            delivery = await self.tap(str(body["user_id"]), which if isinstance(which, int | str) else 0)
        except (KeyError, LookupError, IndexError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response({"hub_status": delivery.status})

    async def _ctl_sent(self, request: web.Request) -> web.Response:
        return web.json_response(
            [{"message_id": s.message_id, "user_id": s.user_id, "message": s.message} for s in self.sent]
        )

    async def _ctl_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if isinstance(body, dict) and body.get("expire_token"):
            self.expire_access_token()
        else:
            self.script(*(Fault(**item) for item in (body if isinstance(body, list) else [body])))
        return web.json_response({"pending": self.pending_faults()})


# --------------------------------------------------------------------------- standalone demo


async def _serve(args: argparse.Namespace) -> None:
    sim = ZaloSimulator(
        host=args.host,
        port=args.port,
        app_id=args.app_id,
        oa_id=args.oa_id,
        app_secret=args.app_secret,
        oa_secret_key=args.oa_secret_key,
        webhook_url=args.webhook,
    )
    await sim.start()
    sim.access_tokens = {args.access_token}
    sim.refresh_token = args.refresh_token
    sim.add_user(
        "Nguyễn Thị Hoa", user_id=args.user_id, phone="0912345678", address="Phường Điện Biên, Thanh Hóa"
    )
    say = '{"text": "Xin chào, tôi muốn hỏi về đăng ký tạm trú"}'
    console = json.dumps({"user_id": args.user_id, "text": "Cán bộ trả lời trong OA"}, ensure_ascii=False)
    expire = '{"expire_token": true}'
    lines = [f"Zalo OA simulator listening on {sim.base_url}", "Give the hub these environment variables:"]
    lines += [f"export {key}={value}" for key, value in sim.env().items()]
    lines += [
        f"# demo citizen user_id: {args.user_id}; webhook target: {args.webhook or '(none: use --webhook)'}",
        f"# a citizen writes:        curl -s -X POST {sim.base_url}/_sim/say -d '{say}'",
        f"# staff reply in console:  curl -s -X POST {sim.base_url}/_sim/console -d '{console}'",
        f"# what the OA sent:        curl -s {sim.base_url}/_sim/sent",
        f"# tap a button (0-based):  curl -s -X POST {sim.base_url}/_sim/tap -d "
        f'\'{{"user_id": "{args.user_id}", "button": 0}}\'',
        f"# expire the access token: curl -s -X POST {sim.base_url}/_sim/faults -d '{expire}'",
    ]
    print("\n".join(lines), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Zalo OA simulator (loopback only)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--webhook", default=None, help="hub URL, e.g. http://127.0.0.1:8080/webhooks/zalo")
    parser.add_argument("--app-id", default="4291763606161179100")
    parser.add_argument("--oa-id", default="1873626290543196385")
    parser.add_argument("--app-secret", default="sim-app-secret")
    parser.add_argument("--oa-secret-key", default="sim-oa-secret-key")
    parser.add_argument("--user-id", default="8063947237857451397")
    parser.add_argument("--access-token", default="sim-demo-access-token")
    parser.add_argument("--refresh-token", default="sim-demo-refresh-token")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
