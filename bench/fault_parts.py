"""The rig of ``bench/faults.py``: a real hub process (``python -m bot serve``) on a fresh
PostgreSQL database and Redis, the Zalo and Facebook simulators of ``devtools/`` as
both the citizens (signed webhooks, redelivered like the vendors do when the hub does not
answer 2xx) and the receivers of replies, and optionally a cuttable TCP proxy in front of
PostgreSQL. Everything listens on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import yaml
from aiohttp import web

from devtools.facebook import FacebookSimulator
from devtools.hub_process import HubProcess
from devtools.tcp_proxy import TcpProxy
from devtools.zalo import ZaloSimulator

WEBHOOK_TIMEOUT = 10.0  # a vendor gives up on a webhook POST after this long ...
REDELIVERY = (1.0, 2.0, 4.0, 8.0)  # ... and redelivers after these pauses
FAQ = [
    ("T1", "Thủ tục đăng ký tạm trú cần những giấy tờ gì?",
     "Mang căn cước công dân và tờ khai CT01 đến công an xã, phường.", "Hành chính", "Công an tỉnh"),
    ("T2", "Lệ phí cấp đổi giấy phép lái xe là bao nhiêu?",
     "Lệ phí cấp đổi giấy phép lái xe là 135.000 đồng.", "Giao thông", "Sở Giao thông vận tải"),
    ("T3", "Tiêm vắc xin cho trẻ em ở đâu?",
     "Trẻ em được tiêm vắc xin tại trạm y tế xã, phường.", "Y tế", "Sở Y tế"),
    ("T4", "Đăng ký khai sinh cho con ở đâu?",
     "Đăng ký khai sinh tại UBND xã, phường nơi cư trú của cha hoặc mẹ.", "Hộ tịch", "Sở Tư pháp"),
]  # fmt: skip
QUESTIONS = [
    "Cho tôi hỏi thủ tục đăng ký tạm trú cần giấy tờ gì?",
    "Lệ phí đổi bằng lái xe bao nhiêu tiền vậy?",
    "Tiêm vắc xin cho bé ở đâu ạ?",
    "Làm giấy khai sinh cho con ở đâu?",
]


class FaultyZalo(ZaloSimulator):
    """The Zalo simulator whose send API can, for a while, answer HTTP 500 (``mode = "500"``)
    or hang (``mode = "hang"``): the message is accepted (Zalo delivers it) but the answer
    comes only after ``hang_seconds``, longer than the hub's timeout — a vendor-side
    timeout. It also notes when each message was accepted (``sent_at``).

    ``trap``: run once when the next send request arrives, while the hub's relay waits for
    the answer (its claim on the outbox row is held); then the message is accepted when
    ``trap_accepts``, else the request is never answered in time."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.mode = "ok"
        self.hang_seconds = 12.0
        self.sent_at: dict[str, float] = {}
        self.stalled: set[str] = set()  # accepted, answered after the hub gave up
        self.refused = 0
        self.trap: Callable[[], Awaitable[None]] | None = None
        self.trap_accepts = False
        self.sprung = asyncio.Event()
        self.peer_port = 0  # the client port of the send request the trap caught

    async def _send(self, request: web.Request) -> web.Response:
        trap, self.trap = self.trap, None
        if trap is not None:
            peer = request.transport.get_extra_info("peername") if request.transport else None
            self.peer_port = int(peer[1]) if peer else 0
        if trap is not None:
            await trap()
            self.sprung.set()
            if not self.trap_accepts:
                await asyncio.sleep(self.hang_seconds)
                return web.json_response({"error": 503, "message": "too late"}, status=503)
        if self.mode == "500":
            self.refused += 1
            return web.json_response({"error": 500, "message": "Internal Server Error"}, status=500)
        hang = self.mode == "hang"
        response = await super()._send(request)
        message_id = _zalo_message_id(response)
        if message_id is not None:
            self.sent_at[message_id] = time.time()
            if hang:
                self.stalled.add(message_id)
                await asyncio.sleep(self.hang_seconds)
        return response


def _zalo_message_id(response: web.Response) -> str | None:
    import json

    try:
        body = json.loads(response.body) if isinstance(response.body, bytes) else {}
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    mid = data.get("message_id") if isinstance(data, dict) else None
    return mid if isinstance(mid, str) else None


@dataclass
class Post:
    """One citizen message and what happened to its webhook deliveries."""

    channel: str
    user: str
    mid: str  # the channel's message id
    first_try: float
    accepted_at: float | None = None
    acked_in: float | None = None  # seconds from the first POST to the 2xx
    ack_s: float | None = None  # seconds the POST that got the 2xx took (the acknowledgement)
    attempts: int = 0
    redelivered: list[int] = field(default_factory=list)  # statuses of deliberate duplicates
    errors: list[str] = field(default_factory=list)
    failed_at: list[float] = field(default_factory=list)  # when each failed delivery began


@dataclass
class Reply:
    channel: str
    user: str
    key: str  # what identifies one outbound message at the vendor
    at: float
    text: str
    stalled: bool = False  # a vendor-side timeout: accepted, but the hub saw no answer


def pg_dsn(admin: str, name: str) -> str:
    return admin.rsplit("/", 1)[0] + "/" + name


async def pg_admin(admin: str, sql: str) -> None:
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def write_faq(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Mã", "Câu hỏi", "Trả lời", "Lĩnh vực", "Đơn vị"])
        out.writerows(FAQ)
    return path


class Rig:
    """One scenario's world. ``async with Rig(...) as rig`` starts it, the exit tears it
    down (the hub is killed, the database dropped)."""

    def __init__(
        self, name: str, workdir: Path, *, pg_admin_url: str, redis_url: str, db_proxy: bool = False
    ) -> None:
        self.name, self.workdir = name, workdir / name
        self.pg_admin_url, self.redis_url = pg_admin_url, redis_url
        self.db = f"hubfaults_{name}_{uuid.uuid4().hex[:8]}"
        self.zalo = FaultyZalo()
        self.fb = FacebookSimulator()
        self.proxy: TcpProxy | None = TcpProxy("127.0.0.1", _port(pg_admin_url)) if db_proxy else None
        self.hub: HubProcess | None = None
        self.posts: list[Post] = []
        self.t0 = time.time()
        self._conn: asyncpg.Connection | None = None
        self._http: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Rig:
        self.workdir.mkdir(parents=True, exist_ok=True)
        await pg_admin(self.pg_admin_url, f'CREATE DATABASE "{self.db}"')
        try:
            await self._start()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def _start(self) -> None:
        await _clear_redis(self.redis_url)
        await self.zalo.start()
        await self.fb.start()
        db_url = pg_dsn(self.pg_admin_url, self.db)
        if self.proxy is not None:
            await self.proxy.start()
            db_url = pg_dsn(f"postgresql://127.0.0.1:{self.proxy.port}/x", self.db)
        creds = {"webchat": {"enabled": True}, "zalo": self.zalo.settings(), "facebook": self.fb.settings()}
        (self.workdir / "credentials.yml").write_text(yaml.safe_dump(creds), encoding="utf-8")
        env = {
            "HUB_DATABASE_URL": db_url.replace("postgresql://", "postgresql+asyncpg://"),
            "HUB_REDIS_URL": self.redis_url,
            "HUB_CREDENTIALS_FILE": str(self.workdir / "credentials.yml"),
            "HUB_ENGINE": "faq",
            "HUB_FAQ_PATH": str(write_faq(self.workdir / "faq.csv")),
            "HUB_MEDIA_DIR": str(self.workdir / "media"),
        }
        self.hub = HubProcess(env, self.workdir / "hub.log")
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        await self.start_hub()
        self.t0 = time.time()

    async def __aexit__(self, *exc: object) -> None:
        if self.hub is not None:
            self.hub.kill()
        for closing in (self.zalo.close(), self.fb.stop()):
            with contextlib.suppress(Exception):
                await closing
        if self.proxy is not None:
            await self.proxy.close()
        if self._http is not None:
            await self._http.close()
        if self._conn is not None:
            await self._conn.close()
        await pg_admin(self.pg_admin_url, f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')

    async def start_hub(self) -> None:
        assert self.hub is not None
        await asyncio.to_thread(self.hub.start, 120.0)

    @property
    def url(self) -> str:
        assert self.hub is not None
        return self.hub.url

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self._http is not None
        return self._http

    def log(self, text: str) -> None:
        print(f"[{self.name}] {time.time() - self.t0:6.1f}s  {text}", flush=True)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(pg_dsn(self.pg_admin_url, self.db), timeout=5)
        return list(await self._conn.fetch(query, *args))

    # ------------------------------------------------------------------ citizens

    async def citizen(self, channel: str, text: str, duplicates: int = 0) -> Post:
        """One citizen (a new user) writes once; redelivered until the hub answers 2xx; then
        ``duplicates`` more deliveries of the same event on purpose, 1 s apart."""
        if channel == "zalo":
            user = self.zalo.add_user(f"Người dân {len(self.posts)}").user_id
            event = self.zalo.user_text(user, text)
            post = Post("zalo", user, str(event["message"]["msg_id"]), time.time())
            send: Callable[[int], Any] = lambda n: self._zalo_status(event, n)  # noqa: E731
        else:
            user = f"psid-{uuid.uuid4().int % 10**15}"
            body = self.fb.encode(self.fb.delivery(self.fb.entry(self.fb.text(user, text))))
            post = Post("facebook", user, _fb_mid(body), time.time())
            send = lambda n: self._fb_status(body)  # noqa: E731
        self.posts.append(post)
        for pause in (*REDELIVERY, None):
            post.attempts += 1
            tried = time.time()
            try:
                status = await asyncio.wait_for(send(post.attempts - 1), WEBHOOK_TIMEOUT)
            except (TimeoutError, aiohttp.ClientError, OSError) as err:
                post.errors.append(type(err).__name__)
                post.failed_at.append(tried)
            else:
                if 200 <= status < 300:
                    post.accepted_at = time.time()
                    post.acked_in, post.ack_s = post.accepted_at - post.first_try, post.accepted_at - tried
                    for n in range(duplicates):
                        await asyncio.sleep(1.0)
                        with contextlib.suppress(TimeoutError, aiohttp.ClientError, OSError):
                            post.redelivered.append(await asyncio.wait_for(send(post.attempts + n),
                                                                           WEBHOOK_TIMEOUT))  # fmt: skip
                    return post
                post.errors.append(f"HTTP {status}")
                post.failed_at.append(tried)
            if pause is not None:
                await asyncio.sleep(pause)
        return post

    async def _zalo_status(self, event: dict[str, Any], retry: int) -> int:
        return (await self.zalo.deliver(f"{self.url}/webhooks/zalo", event, retry=retry)).status

    async def _fb_status(self, body: bytes) -> int:
        status, _ = await self.fb.post(f"{self.url}/webhooks/facebook", body, session=self.http)
        return status

    async def stream(self, count: int, rate: float, channels: Iterable[str] = ("zalo", "facebook")) -> None:
        """``count`` citizens at a steady ``rate`` per second, channels taking turns."""
        order = list(channels)
        started = time.time()
        tasks = []
        for i in range(count):
            await asyncio.sleep(max(0.0, started + i / rate - time.time()))
            text = QUESTIONS[i % len(QUESTIONS)]
            tasks.append(asyncio.ensure_future(self.citizen(order[i % len(order)], text)))
        await asyncio.gather(*tasks)

    # ------------------------------------------------------------------ what the vendors got

    def replies(self) -> list[Reply]:
        out = [
            Reply("zalo", s.user_id, f"{s.user_id}\n{s.text}", self.zalo.sent_at.get(s.message_id, 0.0),
                  s.text, s.message_id in self.zalo.stalled)
            for s in self.zalo.sent
        ]  # fmt: skip
        for s in self.fb.sent:
            meta = s.message.get("metadata")
            key = meta if isinstance(meta, str) else f"{s.psid}\n{s.message.get('text', '')}"
            stalled = s.mid in getattr(self.fb, "stalled", ())  # see bench/fault_vendors.py
            out.append(Reply("facebook", s.psid, key, s.at, str(s.message.get("text", "")), stalled))
        return out

    def first_reply(self) -> dict[str, float]:
        """user -> when the first reply to them reached the vendor."""
        first: dict[str, float] = {}
        for r in self.replies():
            first[r.user] = min(first.get(r.user, r.at), r.at)
        return first

    async def pending(self) -> tuple[int, int]:
        """(outbox rows not done, citizen messages not processed)."""
        rows = await self.sql(
            "SELECT (SELECT count(*) FROM outbox WHERE NOT done) AS o,"
            " (SELECT count(*) FROM messages WHERE direction = 'in' AND NOT processed) AS m"
        )
        return int(rows[0]["o"]), int(rows[0]["m"])

    async def drain(self, cap: float) -> float:
        """Wait until every accepted citizen got a reply and nothing is pending (or ``cap``
        seconds pass); returns the seconds waited."""
        started = time.time()
        while time.time() - started < cap:
            first = self.first_reply()
            if all(p.user in first for p in self.posts if p.accepted_at is not None):
                with contextlib.suppress(OSError, asyncpg.PostgresError):
                    if await self.pending() == (0, 0):
                        break
            await asyncio.sleep(0.5)
        return time.time() - started

    async def ticker(self, every: float = 5.0) -> None:
        """Progress lines while a scenario runs (cancel it to stop)."""
        while True:
            await asyncio.sleep(every)
            accepted = sum(p.accepted_at is not None for p in self.posts)
            replies = len(self.replies())
            self.log(f"posted {len(self.posts)}, accepted {accepted}, replies at the vendors {replies}")


def _fb_mid(body: bytes) -> str:
    import json

    return str(json.loads(body)["entry"][0]["messaging"][0]["message"]["mid"])


def _port(url: str) -> int:
    from urllib.parse import urlsplit

    return urlsplit(url).port or 5432


async def _clear_redis(url: str) -> None:
    """The hub's keys only (``hub1022:*``), in the benchmark's own Redis database."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter("hub1022:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
