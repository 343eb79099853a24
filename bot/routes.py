"""HTTP routes of the hub: webhooks, health, metrics, OpenAPI, the web chat, and the
console's sub-application at ``/console``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, select, text

from actions.server import Handler, make_action_handler
from bot import api_v1, console, public, webchat
from bot.console.core import CONSOLE
from bot.hub import HUB, hub_of
from bot.hub_services import HubActionServices
from bot.public import data_copy, data_requests, privacy_notice
from bot.roles import live_workers, runs_workers
from connectors.base import PayloadError, SignatureError
from connectors.registry import ConnectorRegistry
from storage.models import Message, OutboxItem
from storage.record.inbound import record_failure
from storage.record.state import is_transient_db_error

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK = {"127.0.0.1", "::1"}
HOME_PAGES = {"webchat": "/webchat/", "console": "/console/"}  # HUB_HOME -> where / goes
ICON_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def setup(app: web.Application, registry: ConnectorRegistry) -> None:
    hub = app[HUB]
    app.router.add_get("/", home)
    app.router.add_get("/favicon.svg", favicon)
    app.router.add_get("/favicon.ico", favicon_ico)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/livez", livez)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/openapi.json", openapi)
    for connector in registry:
        for route in connector.routes():
            app.router.add_route(route.method, route.path, route.handler)
    app.router.add_post("/webhooks/{channel}", webhook)
    app.router.add_post("/rasa/actions", loopback_only(make_action_handler(HubActionServices(hub))))
    webchat.setup(app)
    public.setup(app)  # the answers portal and the lookup (Điều 12), without login
    api_v1.setup(app, hub)  # the integration API for other apps (issue 17)
    privacy_notice.setup(app, hub)  # /quyen-rieng-tu/ (issue 18)
    data_requests.setup(app, hub)  # a citizen's data request, verified (issue 18)
    data_copy.setup(app, hub)  # the citizen's download of their copy (issue 18)
    # the console's state on the hub's application: read through request.config_dict by the
    # console's routes and by the hub's own (bot.console.core.client_ip)
    app[CONSOLE] = state = console.console_state(hub)
    app.add_subapp("/console", console.create_console_app(hub, state))


@web.middleware
async def finish_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request is finished even when its client goes away half-way (as ``web.run_app``
    and ``python -m bot run`` serve: their handlers are never cancelled on a lost
    connection; a test server cancels them). A handler cut off inside a transaction leaves
    a half-done write, and on SQLite a connection the pool drops while it still holds the
    write lock: every later transaction then fails with "database is locked". WebSocket
    handlers are left as they are: they end when their socket closes."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await handler(request)
    task = asyncio.ensure_future(handler(request))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(_retrieve)
        raise


@web.middleware
async def database_unavailable(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A database that cannot be used right now (a restart, a cut connection) is a 503 with
    Retry-After and a Vietnamese message on every route, as the webhooks answer, not a 500."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as err:
        if not is_transient_db_error(err):
            raise
        log.warning("%s %s: database unavailable (%s)", request.method, request.path, err.__class__.__name__)
        return web.json_response(
            {"error": "Hệ thống tạm thời không truy cập được dữ liệu; xin thử lại sau ít giây."},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


RETRY_AFTER_SECONDS = 5


def _retrieve(task: asyncio.Future[web.StreamResponse]) -> None:
    if (
        not task.cancelled()
        and (err := task.exception()) is not None
        and not isinstance(err, web.HTTPException)
    ):
        log.error("a request finished after its client left failed", exc_info=err)


PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def loopback_only(handler: Handler) -> Handler:
    """Rasa's action calls come from the loopback Rasa process only: the hub faces the
    internet, its action endpoint must not."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        # behind a reverse proxy on the same host every request comes from loopback: one
        # that carries a proxy's forwarding headers came from outside
        proxied = any(h in request.headers for h in PROXY_HEADERS)
        if request.remote not in LOOPBACK or proxied:
            raise web.HTTPForbidden(text="chỉ dành cho tiến trình Rasa trên máy chủ")
        return await handler(request)

    return guarded


async def webhook(request: web.Request) -> web.Response:
    """Verify the raw bytes, store every event, answer 200; the rest happens behind it.

    A signed delivery we cannot parse, or an event we cannot store (an over-long id), is
    kept in ``webhook_failures`` and answered 200 with ``ok: false`` and the reasons: a
    redelivery could not fix it, and Zalo and Meta switch off a webhook that keeps failing.
    Only a database that cannot be used right now is a 503, so the vendor delivers again
    (storage is idempotent)."""
    from bot.ingest_service import store_events

    hub = hub_of(request)
    name = request.match_info["channel"]
    if name not in hub.registry or hub.registry.capabilities(name).own_api:
        raise web.HTTPNotFound(text=f"Kênh {name} không bật")
    connector = hub.registry.get(name)
    try:
        raw = await connector.verify(request)
    except SignatureError as err:
        hub.metrics.rejected(name, "signature")
        log.warning("%s webhook refused: %s", name, err)
        return web.json_response({"error": str(err) or "chữ ký không hợp lệ"}, status=err.http_status)
    headers = _kept_headers(request)
    try:
        try:
            events = connector.parse(raw)
        except PayloadError as err:
            hub.metrics.rejected(name, "payload")
            await record_failure(hub.sm, name, str(err), raw, headers, hub.clock.now())
            return web.json_response({"ok": False, "kept": True, "error": str(err)})
        results = await store_events(hub, events, headers=headers)
    except Exception:
        log.exception("%s webhook: the database cannot store the delivery now", name)
        return web.json_response(
            {"error": "Hệ thống tạm thời không lưu được tin nhắn; xin gửi lại sau (máy chủ sẽ thử lại)."},
            status=503,
        )
    failed = [r.error for r in results if r.error is not None]
    return web.json_response({"ok": not failed, "events": len(events), "failed": failed})


def _kept_headers(request: web.Request) -> dict[str, str]:
    """The delivery's headers as kept with a failure (no credentials)."""
    return {k: v for k, v in request.headers.items() if k.lower() not in {"authorization", "cookie"}}


async def home(request: web.Request) -> web.Response:
    """``/``: the citizen's chat page or the console, as ``HUB_HOME`` says."""
    raise web.HTTPFound(HOME_PAGES[hub_of(request).settings.home])


async def favicon(request: web.Request) -> web.Response:
    """The hub's icon (a chat bubble with a phone and 1022), linked by every page."""
    return web.Response(
        body=(STATIC / "favicon.svg").read_bytes(), content_type="image/svg+xml", headers=ICON_HEADERS
    )


async def favicon_ico(request: web.Request) -> web.Response:
    """Browsers ask ``/favicon.ico`` by themselves: the SVG icon answers."""
    raise web.HTTPMovedPermanently("/favicon.svg")


async def livez(request: web.Request) -> web.Response:
    """For a load balancer: this process can take and store deliveries (its database
    answers). A web process stays in rotation while the workers are down: what it stores is
    answered when they are back; ``/healthz`` says how the whole hub is."""
    hub = hub_of(request)
    try:
        async with hub.sm() as s:
            await s.execute(text("SELECT 1"))
    except Exception as err:
        return web.json_response({"status": "down", "database": err.__class__.__name__}, status=503)
    return web.json_response({"status": "ok", "role": hub.role})


async def healthz(request: web.Request) -> web.Response:
    hub = hub_of(request)
    checks: dict[str, object] = {}
    ok = True
    try:
        async with hub.sm() as s:
            await s.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as err:
        checks["database"] = f"lỗi: {err.__class__.__name__}"
        ok = False
    checks["role"] = hub.role
    if runs_workers(hub.role):
        stale = 3 * hub.settings.worker_poll_interval + 10
        now = time.monotonic()
        for name, beat in (("pipeline", hub.pipeline.last_beat), ("outbox", hub.relay.last_beat)):
            alive = now - beat < stale
            checks[name] = "ok" if alive else "dừng"
            ok = ok and alive
    elif checks["database"] == "ok":  # a web process: are any workers answering?
        workers = await live_workers(hub.sm, hub.clock.now())
        checks["workers"] = workers
        ok = ok and workers > 0
    if hub.redis is not None:
        try:
            await hub.redis.ping()
            checks["redis"] = "ok"
        except Exception as err:
            checks["redis"] = f"lỗi: {err.__class__.__name__}"
            ok = False
    checks["engine"] = hub.pipeline.engine.name
    # every engine the answers depend on (the conversation engine and the Rasa NLU it reads
    # with): a Rasa outage shows here even though the hub's cues keep answering
    down = sorted(n for n, v in hub.metrics.engine_available.items() if v == 0)
    checks["engine_up"] = not down
    if down:
        checks["engines_down"] = down
    checks["channels"] = sorted(c.name for c in hub.registry)
    checks["channels_off"] = hub.registry.disabled
    return web.json_response(
        {"status": "ok" if ok else "degraded", "pid": os.getpid(), "checks": checks},
        status=200 if ok else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    hub = hub_of(request)
    async with hub.sm() as s:
        depth = dict(
            (
                await s.execute(
                    select(OutboxItem.channel, func.count())
                    .where(OutboxItem.done.is_(False))
                    .group_by(OutboxItem.channel)
                )
            ).all()
        )
        pending = (await s.execute(select(func.count()).where(Message.processed.is_(False)))).scalar_one()
    body = hub.metrics.render(
        {"hub_outbox_depth": {k: float(v) for k, v in depth.items()}, "hub_pipeline_pending": float(pending)}
    )
    return web.Response(text=body, content_type="text/plain", charset="utf-8")


async def openapi(request: web.Request) -> web.Response:
    spec = json.loads((STATIC / "openapi.json").read_text(encoding="utf-8"))
    return web.json_response(api_v1.openapi_document(spec))  # the web chat's, and /api/v1
