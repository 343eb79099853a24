"""The Zalo simulator's state: its identifiers and tokens, users, what it recorded, and the
faults tests script (:class:`Fault`, each consumed by the next matching request)."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

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
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -218: "Out of quota receive",
    -224: "OA must buy a package to use this feature",
    -234: "Promotion messages can only be sent from 06:00 to 22:00",
    -244: "User has restricted receiving this type of message",
    -230: "User has not interacted with the OA in the past 7 days",
}
OAUTH_INVALID_REFRESH = -14014  # simulated code for a spent/unknown refresh token
OAUTH_INVALID_SECRET = -14002


def numeric_id(digits: int = 19) -> str:
    """Zalo ids are decimal strings, often above 2**53."""
    return str(random.randint(10 ** (digits - 1), 10**digits - 1))


def new_msg_id() -> str:
    return secrets.token_hex(16)


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """One scripted failure, consumed by the next request to ``endpoint``.

    ``endpoint``: ``"message"``, ``"upload"``, ``"user"``, ``"oauth"``, ``"promotion"``,
    ``"quota"``, ``"getlist"``, ``"article"`` (create and verify), ``"broadcast"`` or ``"*"``.
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
    restricted_promotions: bool = False  # the user turned promotion messages off (-244)
    last_interaction: float | None = None  # epoch seconds (getlist's last_interaction_period)

    @property
    def following(self) -> bool:
        """Whether the user currently follows the OA (the same flag as ``follower``)."""
        return self.follower

    @following.setter
    def following(self, value: bool) -> None:
        self.follower = value


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


# --------------------------------------------------------------------------- the state


class SimulatorState:
    """Identifiers, tokens, users and records of one simulator, and its scripted faults."""

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
        self.app_id = app_id or numeric_id(19)
        self.app_secret = app_secret
        self.oa_secret_key = oa_secret_key
        self.oa_id = oa_id or numeric_id(19)
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
        user = SimUser(user_id or numeric_id(19), display_name, **kw)
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
