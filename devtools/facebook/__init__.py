"""A faithful Facebook Messenger Platform simulator: a real aiohttp server on loopback.

Graph side (what the hub calls):

* ``POST /{version}/me/messages`` and ``/{version}/{page-id}/messages`` — the Send API
  (JSON, or multipart with ``filedata`` for uploads), ``sender_action`` typing_on/off and
  mark_seen; checks ``access_token`` (and ``appsecret_proof`` when given), the 2,000-char
  text limit, ``messaging_type``/``tag`` and the 24 h / 7-day windows like Facebook does;
* ``GET /{version}/{psid}?fields=...`` — the user profile API;
* ``POST``/``GET /{version}/me/messenger_profile`` — the Page's Get Started button and greeting
  (validated as Messenger does, :mod:`devtools.facebook.profile`; kept in ``sim.profile``);
* errors in Graph's shape ``{"error": {"message", "type", "code", "error_subcode",
  "fbtrace_id"}}``, and scripted faults (:class:`Fault`): rate limit 613, HTTP 429, 5xx,
  a proxy's HTML 502, a hang (timeout), expired token 190, 551, 10/2018278.

Webhook side (what Facebook sends the hub): builders for every event type, signed
deliveries (``X-Hub-Signature-256`` over the exact bytes) with several entries and events,
duplicates and out-of-order posting; after a successful send the simulator can post the
``message_echoes`` and ``message_deliveries`` webhooks back like Facebook does. ``tap`` builds
the message a citizen sends by tapping one of the quick replies the Page sent last, and
``get_started`` the postback of the Get Started button.

Standalone demo::

    python -m devtools.facebook --port 9002 --webhook http://127.0.0.1:8080/webhooks/facebook

prints the environment variables to give the hub; ``POST /_sim/citizen`` with
``{"psid": "...", "text": "..."}`` makes a citizen write; ``GET /_sim/sent`` lists what the
hub sent; ``POST /_sim/tap`` with ``{"psid": "...", "button": 0}`` taps a quick reply.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import hashlib
import hmac
import itertools
import json
import random
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from devtools.facebook.profile import check_profile, choose

DAY = 86_400.0
MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG"})
TAGS = frozenset({"HUMAN_AGENT", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"})
SENDER_ACTIONS = frozenset({"typing_on", "typing_off", "mark_seen"})
ATTACHMENT_TYPES = frozenset({"image", "video", "audio", "file", "template"})
PAGE_INBOX_APP_ID = 263902037430900  # the app id Facebook puts on echoes typed in the Page Inbox


class Fault(enum.StrEnum):
    RATE_LIMIT = "rate_limit"  # HTTP 400, code 613, X-Business-Use-Case-Usage regain time
    HTTP_429 = "http_429"  # HTTP 429, code 4, Retry-After
    SERVER_ERROR = "server_error"  # HTTP 500, code 2, is_transient
    BAD_GATEWAY = "bad_gateway"  # HTTP 502 with an HTML body (a proxy in the way)
    TIMEOUT = "timeout"  # the request hangs until the client gives up
    TOKEN_EXPIRED = "token_expired"  # HTTP 400, code 190 subcode 463
    UNAVAILABLE = "unavailable"  # HTTP 400, code 551 subcode 1545041
    OUTSIDE_WINDOW = "outside_window"  # HTTP 400, code 10 subcode 2018278


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


@dataclass
class _Queued:
    fault: Fault
    scope: str  # "send", "profile" or "any"
    after: int = 0  # let this many matching requests through first


class GraphFailure(Exception):
    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        type_: str = "OAuthException",
        headers: Mapping[str, str] | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.subcode, self.message = status, code, subcode, message
        self.type, self.headers, self.transient = type_, dict(headers or {}), transient

    def response(self) -> web.Response:
        err: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
            "fbtrace_id": "A" + secrets.token_urlsafe(8),
        }
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.transient:
            err["is_transient"] = True
        return web.json_response({"error": err}, status=self.status, headers=self.headers)


def _invalid(message: str, subcode: int | None = None) -> GraphFailure:
    return GraphFailure(400, 100, f"(#100) {message}", subcode=subcode)


FAULTS: dict[Fault, Callable[[], GraphFailure]] = {
    Fault.RATE_LIMIT: lambda: GraphFailure(
        400,
        613,
        "(#613) Calls to this api have exceeded the rate limit.",
        headers={
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    "1022000000000001": [
                        {"type": "messenger", "call_count": 100, "estimated_time_to_regain_access": 2}
                    ]
                }
            )
        },
    ),
    Fault.HTTP_429: lambda: GraphFailure(
        429, 4, "(#4) Application request limit reached", headers={"Retry-After": "7"}
    ),
    Fault.SERVER_ERROR: lambda: GraphFailure(
        500, 2, "An unexpected error has occurred. Please retry your request later.", transient=True
    ),
    Fault.TOKEN_EXPIRED: lambda: GraphFailure(
        400,
        190,
        "Error validating access token: Session has expired on Monday, 23-Nov-26 09:00:00 PST.",
        subcode=463,
    ),
    Fault.UNAVAILABLE: lambda: GraphFailure(
        400, 551, "This person isn't available right now.", subcode=1545041
    ),
    Fault.OUTSIDE_WINDOW: lambda: GraphFailure(
        400,
        10,
        "(#10) This message is sent outside of allowed window.",
        subcode=2018278,
        type_="OAuthException",
    ),
}


class FacebookSimulator:
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
        self._faults: list[_Queued] = []
        self._mids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FacebookSimulator:
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_post(f"/{self.version}/{{node}}/messages", self._messages)
        app.router.add_post(f"/{self.version}/me/messenger_profile", self._set_messenger_profile)
        app.router.add_get(f"/{self.version}/me/messenger_profile", self._get_messenger_profile)
        app.router.add_get(f"/{self.version}/{{node}}", self._profile)
        app.router.add_post("/_sim/citizen", self._sim_citizen)
        app.router.add_get("/_sim/sent", self._sim_sent)
        app.router.add_post("/_sim/tap", self._sim_tap)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FacebookSimulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

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
        self._faults.extend(_Queued(fault, scope, after) for _ in range(times))

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

    # ------------------------------------------------------------------ Graph endpoints

    def _check_token(self, request: web.Request) -> None:
        token = request.query.get("access_token")
        auth = request.headers.get("Authorization", "")
        if token is None and auth.startswith(("Bearer ", "OAuth ")):
            token = auth.split(" ", 1)[1]
        if not token:
            raise GraphFailure(400, 2500, "An active access token must be used to query information.")
        if not hmac.compare_digest(token.encode(), self.page_access_token.encode()):
            raise GraphFailure(400, 190, "Invalid OAuth access token - Cannot parse access token")
        proof = request.query.get("appsecret_proof")
        if proof is not None:
            good = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof.encode(), good.encode()):
                raise _invalid("Invalid appsecret_proof provided in the API argument")

    async def _read_send_body(self, request: web.Request) -> tuple[dict[str, Any], bytes | None]:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            body: dict[str, Any] = {}
            upload: bytes | None = None
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    upload = value.file.read()
                elif key in ("recipient", "message"):
                    try:
                        body[key] = json.loads(str(value))
                    except ValueError:
                        raise _invalid(f"param {key} must be JSON") from None
                else:
                    body[key] = str(value)
            return body, upload
        try:
            data = await request.json()
        except ValueError:
            raise _invalid("The request body must be JSON") from None
        if not isinstance(data, dict):
            raise _invalid("The request body must be a JSON object")
        return data, None

    async def _messages(self, request: web.Request) -> web.Response:
        record = RecordedRequest("POST", request.path, dict(request.query), None)
        self.requests.append(record)
        try:
            self._check_token(request)
            node = request.match_info["node"]
            if node not in ("me", self.page_id):
                raise _invalid(f"Unsupported post request. Object with ID '{node}' does not exist", 33)
            body, upload = await self._read_send_body(request)
            record.body = body
            # scripted faults hit message sends; typing indicators have their own scope
            faulty = await self._apply_fault("action" if "sender_action" in body else "send")
            if faulty is not None:
                record.status = faulty.status
                return faulty
            response = self._accept(body, upload)
        except GraphFailure as failure:
            record.status = failure.status
            return failure.response()
        record.status = 200
        return web.json_response(response)

    def _accept(self, body: dict[str, Any], upload: bytes | None) -> dict[str, Any]:
        recipient = body.get("recipient")
        psid = recipient.get("id") if isinstance(recipient, dict) else None
        if not isinstance(psid, str) or not psid:
            raise _invalid("The parameter recipient is required")
        user = self.users.get(psid)
        if user is None:
            raise _invalid("No matching user found", 2018001)
        action = body.get("sender_action")
        if action is not None:
            if action not in SENDER_ACTIONS or "message" in body:
                raise _invalid("Param sender_action must be one of typing_on, typing_off, mark_seen")
            self.actions.append((psid, str(action)))
            return {"recipient_id": psid}
        message = body.get("message")
        if not isinstance(message, dict):
            raise _invalid("The parameter message is required")
        mtype, tag = body.get("messaging_type"), body.get("tag")
        self._check_message(message, upload)
        self._check_window(user, mtype, tag)
        mid = f"m_sim{next(self._mids):06d}{secrets.token_hex(6)}"
        sent = SentMessage(psid, mtype, tag, message, mid, self.clock(), upload)
        self.sent.append(sent)
        self._after_send(sent)
        return {"recipient_id": psid, "message_id": mid}

    @staticmethod
    def _check_message(message: dict[str, Any], upload: bytes | None) -> None:
        text, attachment = message.get("text"), message.get("attachment")
        if (text is None) == (attachment is None):
            raise _invalid("Must send either message or attachment")
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise _invalid("param message[text] must be a non-empty UTF-8 encoded string")
        if isinstance(text, str) and len(text) > 2000:
            raise _invalid("Length of param message[text] must be less than or equal to 2000")
        if attachment is not None:
            if not isinstance(attachment, dict) or attachment.get("type") not in ATTACHMENT_TYPES:
                raise _invalid(
                    "param message[attachment][type] must be one of image, video, audio, file, template"
                )
            payload = attachment.get("payload")
            has_source = isinstance(payload, dict) and (payload.get("url") or payload.get("attachment_id"))
            if not has_source and upload is None and attachment.get("type") != "template":
                raise _invalid("Attachment needs a url, an attachment_id or filedata", 2018047)
        metadata = message.get("metadata")
        if metadata is not None and (not isinstance(metadata, str) or len(metadata) > 1000):
            raise _invalid("param message[metadata] must be a string of at most 1000 characters")
        quick = message.get("quick_replies")
        if quick is not None:
            if not isinstance(quick, list) or not 1 <= len(quick) <= 13:
                raise _invalid("param message[quick_replies] must be an array of 1 to 13 elements")
            for q in quick:
                if not isinstance(q, dict) or q.get("content_type") != "text":
                    raise _invalid("quick_replies[].content_type must be text")
                if not isinstance(q.get("title"), str) or len(q["title"]) > 20:
                    raise _invalid("quick_replies[].title must be at most 20 characters")

    def _check_window(self, user: User, mtype: Any, tag: Any) -> None:
        if mtype not in MESSAGING_TYPES:
            raise _invalid(
                "The parameter messaging_type is required and must be RESPONSE, UPDATE or MESSAGE_TAG"
            )
        if mtype == "MESSAGE_TAG" and tag not in TAGS:
            raise _invalid("Param tag must be one of HUMAN_AGENT, CONFIRMED_EVENT_UPDATE, ...")
        if user.last_inbound is None:
            raise FAULTS[Fault.OUTSIDE_WINDOW]()  # the person never wrote to the Page
        age = self.clock() - user.last_inbound
        limit = 7 * DAY if (mtype == "MESSAGE_TAG" and tag == "HUMAN_AGENT") else DAY
        if age > limit:
            raise FAULTS[Fault.OUTSIDE_WINDOW]()

    async def _profile(self, request: web.Request) -> web.Response:
        record = RecordedRequest("GET", request.path, dict(request.query), None)
        self.requests.append(record)
        try:
            self._check_token(request)
            faulty = await self._apply_fault("profile")
            if faulty is not None:
                record.status = faulty.status
                return faulty
            psid = request.match_info["node"]
            user = self.users.get(psid)
            if user is None:
                raise _invalid(
                    f"Unsupported get request. Object with ID '{psid}' does not exist, cannot be loaded "
                    "due to missing permissions, or does not support this operation",
                    33,
                )
            fields = [f for f in request.query.get("fields", "first_name,last_name").split(",") if f]
            known = {
                "id": psid,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "name": " ".join(p for p in (user.first_name, user.last_name) if p),
                "profile_pic": user.profile_pic or f"{self.base_url}/pics/{psid}.jpg",
            }
            unknown = [f for f in fields if f not in known]
            if unknown:
                raise _invalid(f"Tried accessing nonexisting field ({unknown[0]}) on node type (User)")
            data = {f: known[f] for f in fields}
            data["id"] = psid
        except GraphFailure as failure:
            record.status = failure.status
            return failure.response()
        record.status = 200
        return web.json_response(data)

    async def _set_messenger_profile(self, request: web.Request) -> web.Response:
        record = RecordedRequest("POST", request.path, dict(request.query), None)
        self.requests.append(record)
        try:
            self._check_token(request)
            body, _ = await self._read_send_body(request)
            record.body = body
            try:
                self.profile.update(check_profile(body))
            except ValueError as err:
                raise _invalid(str(err).removeprefix("(#100) ")) from None
        except GraphFailure as failure:
            record.status = failure.status
            return failure.response()
        record.status = 200
        return web.json_response({"result": "success"})

    async def _get_messenger_profile(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request)
        except GraphFailure as failure:
            return failure.response()
        fields = [f for f in request.query.get("fields", "").split(",") if f]
        found = {f: self.profile[f] for f in fields if f in self.profile}
        return web.json_response({"data": [found] if found else []})

    # ------------------------------------------------------------------ webhook builders

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

    # ------------------------------------------------------------------ demo endpoints

    async def _sim_citizen(self, request: web.Request) -> web.Response:
        data = await request.json()
        psid, text = str(data.get("psid", "")), str(data.get("text", ""))
        if not psid or not text or not self.webhook_url:
            return web.json_response({"error": "need psid, text and --webhook"}, status=400)
        if psid not in self.users:
            self.add_user(psid, str(data.get("first_name", "Công dân")), str(data.get("last_name", "")))
        try:
            status, answer = await self.post(
                self.webhook_url, self.delivery(self.entry(self.text(psid, text)))
            )
        except aiohttp.ClientError as err:
            return web.json_response({"error": f"hub unreachable at {self.webhook_url}: {err}"}, status=502)
        return web.json_response({"hub_status": status, "hub_answer": answer})

    async def _sim_tap(self, request: web.Request) -> web.Response:
        """``{"psid": "...", "button": 0 | "title"}``: the citizen taps a quick reply."""
        data = await request.json()
        which = data.get("button", 0)
        try:
            event = self.tap(str(data.get("psid", "")), which if isinstance(which, int | str) else 0)
        except (LookupError, IndexError) as err:
            return web.json_response({"error": str(err)}, status=400)
        if not self.webhook_url:
            return web.json_response({"error": "need --webhook"}, status=400)
        status, answer = await self.post(self.webhook_url, self.delivery(self.entry(event)))
        return web.json_response({"hub_status": status, "hub_answer": answer})

    async def _sim_sent(self, request: web.Request) -> web.Response:
        return web.json_response(
            dumps=lambda obj: json.dumps(obj, ensure_ascii=False),
            data=[
                {
                    "psid": s.psid,
                    "mid": s.mid,
                    "messaging_type": s.messaging_type,
                    "tag": s.tag,
                    "message": s.message,
                }
                for s in self.sent
            ],
        )


async def _serve(args: argparse.Namespace) -> None:
    sim = FacebookSimulator(
        webhook_url=args.webhook, auto_echo=bool(args.webhook), auto_delivery=bool(args.webhook)
    )
    await sim.start(args.host, args.port)
    print("Facebook simulator listening on", sim.base_url)
    print("Give the hub these environment variables:")
    for key, value in sim.env().items():
        print(f"export {key}={value}")
    if args.webhook:
        print(f"Webhooks go to {args.webhook}. A citizen writes with:")
        print(
            f"  curl -s -X POST {sim.base_url}/_sim/citizen -H 'Content-Type: application/json' "
            """-d '{"psid": "7001", "text": "Xin chào"}'"""
        )
    print(f"What the hub sent: curl -s {sim.base_url}/_sim/sent")
    print(
        f"Tap a quick reply:  curl -s -X POST {sim.base_url}/_sim/tap -H 'Content-Type: application/json' "
        """-d '{"psid": "7001", "button": 0}'"""
    )
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Facebook Messenger Platform simulator (loopback)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9002)
    parser.add_argument(
        "--webhook", default=None, help="the hub's /webhooks/facebook URL, for echoes and demo"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
