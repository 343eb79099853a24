"""The Facebook simulator's state: the Page and app, its users, what it recorded, and the
queue of scripted faults."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from devtools.facebook.faults import FAULTS, Fault, QueuedFault

DAY = 86_400.0
MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG"})
TAGS = frozenset({"HUMAN_AGENT", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"})
SENDER_ACTIONS = frozenset({"typing_on", "typing_off", "mark_seen"})
ATTACHMENT_TYPES = frozenset({"image", "video", "audio", "file", "template"})
PAGE_INBOX_APP_ID = 263902037430900  # the app id Facebook puts on echoes typed in the Page Inbox


@dataclass
class SentMessage:
    psid: str
    messaging_type: str | None
    tag: str | None
    message: dict[str, Any]
    mid: str
    at: float
    upload: bytes | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class User:
    psid: str
    first_name: str = "Công dân"
    last_name: str = ""
    profile_pic: str | None = None
    last_inbound: float | None = None  # epoch seconds of the citizen's last message


class SimulatorState:
    """The Page, app and tokens of one simulator, its users and records, and its faults."""

    def __init__(
        self,
        *,
        app_secret: str = "sim-app-secret",
        verify_token: str = "sim-verify-token",
        page_access_token: str = "sim-page-access-token",
        page_id: str = "1022000000000001",
        app_id: str = "900000000000001",
        version: str = "v21.0",
        clock: Callable[[], float] = time.time,
        hang_seconds: float = 60.0,
        webhook_url: str | None = None,
        auto_echo: bool = False,
        auto_delivery: bool = False,
        callback_delay: float = 0.3,
    ) -> None:
        self.app_secret, self.verify_token = app_secret, verify_token
        self.page_access_token, self.page_id, self.app_id = page_access_token, page_id, app_id
        self.version, self.clock, self.hang_seconds = version, clock, hang_seconds
        self.webhook_url, self.auto_echo, self.auto_delivery = webhook_url, auto_echo, auto_delivery
        self.callback_delay = callback_delay  # Facebook's echoes/receipts follow a send, not precede it
        self.users: dict[str, User] = {}
        self.sent: list[SentMessage] = []
        self.actions: list[tuple[str, str]] = []  # (psid, sender_action)
        self.profile: dict[str, Any] = {}  # the Page's Messenger Profile (get_started, greeting)
        self.requests: list[RecordedRequest] = []
        self.webhook_posts: list[tuple[int, bytes]] = []  # (hub's status, body) of callbacks
        self._faults: list[QueuedFault] = []
        self._mids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graph_base(self) -> str:
        return f"{self.base_url}/{self.version}"

    def settings(self) -> dict[str, str]:
        """The ``facebook`` section of credentials.yml pointing at this simulator."""
        return {
            "app_secret": self.app_secret,
            "verify_token": self.verify_token,
            "page_access_token": self.page_access_token,
            "graph_base": self.graph_base,
        }

    def env(self) -> dict[str, str]:
        return {
            "FACEBOOK_APP_SECRET": self.app_secret,
            "FACEBOOK_VERIFY_TOKEN": self.verify_token,
            "FACEBOOK_PAGE_ACCESS_TOKEN": self.page_access_token,
            "FACEBOOK_GRAPH_BASE": self.graph_base,
        }

    # ------------------------------------------------------------------ scripting

    def fail_next(self, fault: Fault, times: int = 1, *, scope: str = "send", after: int = 0) -> None:
        """The next ``times`` requests in ``scope`` ("send": messages, "action": typing
        indicators, "profile", "any") fail so,
        after letting ``after`` of them through."""
        self._faults.extend(QueuedFault(fault, scope, after) for _ in range(times))

    def add_user(
        self,
        psid: str,
        first_name: str = "Công dân",
        last_name: str = "",
        *,
        last_inbound: float | None = None,
        profile_pic: str | None = None,
    ) -> User:
        user = User(psid, first_name, last_name, profile_pic, last_inbound)
        self.users[psid] = user
        return user

    def _take_fault(self, scope: str) -> Fault | None:
        for i, queued in enumerate(self._faults):
            if queued.scope in (scope, "any"):
                if queued.after > 0:
                    for other in self._faults:  # one request passes for every queued fault
                        if other.scope in (scope, "any") and other.after > 0:
                            other.after -= 1
                    return None
                del self._faults[i]
                return queued.fault
        return None

    async def _apply_fault(self, scope: str) -> web.Response | None:
        fault = self._take_fault(scope)
        if fault is None:
            return None
        if fault is Fault.TIMEOUT:
            await asyncio.sleep(self.hang_seconds)
            return web.Response(status=504, text="too late")
        if fault is Fault.BAD_GATEWAY:
            return web.Response(
                status=502, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        return FAULTS[fault]().response()
