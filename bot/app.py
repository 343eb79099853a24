"""The hub's aiohttp application, read top-down: ``create_app`` builds the parts, the
dialogue engines from the parts they need (``EngineParts``), the pipeline and the relay,
then the ``Hub`` (``bot.hub``) complete, mounts the routes (``bot.routes``), and starts the
database, the connectors, the FAQ index and the workers through ``cleanup_ctx``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from aiohttp import web

from bot import routes
from bot.apply_result import ResultApplier
from bot.background import worker_contexts
from bot.config import ENGINES, NLUS, Settings
from bot.data_request_reply import DataRequestReply
from bot.engine import DialogueEngine, HandoffEngine
from bot.engines.faq_engine import FaqDialogueEngine
from bot.events import EventBus, build_bus
from bot.faq_store import FaqIndex
from bot.greeting import privacy_notice
from bot.hub import HUB, Hub
from bot.ingest_service import deliver_for, fetch_profile_once
from bot.lifecycle import stop_gracefully
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.relay import Relay, RetryPolicy
from bot.roles import hear_wakes, heartbeat, heartbeat_name, runs_workers
from bot.ticket_lookup import ChatLookup, lookup_limits
from connectors.registry import ConnectorContext, ConnectorRegistry
from faq.engine import EngineConfig
from handoff.calendar import configured_calendar
from handoff.tickets import ticket_prefix
from privacy.requests import Deadlines
from storage.clock import Clock, SystemClock
from storage.migrate import upgrade
from storage.record.state import HubStateStore
from storage.session import SessionMaker, create_engine, make_sessionmaker

log = logging.getLogger(__name__)

MIDDLEWARES = (routes.finish_requests, routes.database_unavailable)


@dataclass(frozen=True)
class EngineParts:
    """What the dialogue engines are built from (``choose_engines``, or a test's ``engine_factory``)."""

    settings: Settings
    sm: SessionMaker
    http: aiohttp.ClientSession
    metrics: Metrics
    faq: FaqIndex


EngineFactory = Callable[[EngineParts], DialogueEngine]


def _redis(settings: Settings) -> Any:
    if not settings.redis_url:
        return None
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    # connects time out and idle connections are checked (a Redis that hangs is noticed);
    # no retries inside redis-py (its default retries with a growing wait): a publish fails at
    # once and is dropped (bot.events), and a pub/sub connection that drops is not quietly
    # reconnected, so the subscription resubscribes itself and tells its views to resync
    return aioredis.from_url(
        settings.redis_url,
        decode_responses=False,
        socket_connect_timeout=2,
        health_check_interval=10,
        retry=Retry(NoBackoff(), 0),
    )


def build_registry(
    settings: Settings, sm: SessionMaker, http: aiohttp.ClientSession, clock: Clock, redis: Any
) -> ConnectorRegistry:
    def make_ctx(name: str, section: Any) -> ConnectorContext:
        return ConnectorContext(
            session=http,
            state=HubStateStore(sm, clock, prefix=name, redis=redis),
            settings=section,
            clock=lambda: clock.now().timestamp(),
        )

    return ConnectorRegistry.build(settings.channel_sections(), make_ctx)


async def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine_factory: EngineFactory | None = None,
    run_workers: bool = True,
) -> web.Application:
    """Build the app. Connectors are built here (their routes must exist before the app
    freezes); database migrations and workers start in ``cleanup_ctx``."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    db = create_engine(settings.database_url, **settings.engine_options())
    sm = make_sessionmaker(db)
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30, connect=10))
    redis = _redis(settings)
    bus: EventBus = build_bus(settings.database_url, redis)  # Redis, else LISTEN/NOTIFY, else local
    metrics = Metrics()
    registry = build_registry(settings, sm, http, clock, redis)
    faq = FaqIndex(sm, poll_interval=settings.faq_poll_interval, config=faq_config(settings))
    parts = EngineParts(settings, sm, http, metrics, faq)
    engine, fallback = (engine_factory(parts), None) if engine_factory is not None else choose_engines(parts)
    relay = Relay(
        sm,
        registry,
        bus,
        clock,
        metrics,
        RetryPolicy(settings.outbox_max_attempts, settings.outbox_base_delay, settings.outbox_max_delay),
        poll_interval=settings.worker_poll_interval,
        claim_seconds=settings.outbox_claim_seconds,
        per_channel=settings.outbox_channel_concurrency,
        record_within=settings.outbox_record_seconds,
    )
    prefix = ticket_prefix(settings.env or None)
    pipeline = Pipeline(
        sm,
        engine,
        bus,
        clock,
        metrics,
        fallback=fallback,
        typing=typing_indicator(registry),
        on_outbox=relay.notify,
        poll_interval=settings.worker_poll_interval,
        workers=settings.pipeline_workers,
        lease_seconds=settings.lease_seconds,
        applier=ResultApplier(
            configured_calendar(settings.env or None),
            prefix,
            frozenset(c.name for c in registry if c.capabilities.one_reply_per_turn),
        ),
        lookup=ChatLookup(sm, prefix, settings.public_url, lookup_limits(settings)),
    )
    # the data requests' deadlines from the hub's settings (HUB_SETTINGS_FILE included)
    pipeline.data_requests = DataRequestReply(sm, pipeline.applier.calendar, Deadlines.from_env(settings.env))
    hub = Hub(
        settings, clock, sm, db, http, bus, metrics, registry, pipeline, relay, faq, redis, role=settings.role
    )
    app = web.Application(client_max_size=settings.max_upload_bytes, middlewares=MIDDLEWARES)
    app[HUB] = hub
    routes.setup(app, registry)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_connectors)
    app.cleanup_ctx.append(_faq_index)
    if run_workers and runs_workers(settings.role):
        app.cleanup_ctx.append(_workers)
        app.cleanup_ctx.extend(worker_contexts())  # campaigns, outbound webhooks
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    await upgrade(hub.db)
    yield
    await hub.bus.close()
    await hub.http.close()
    if hub.redis is not None:
        await hub.redis.aclose()
    await hub.db.dispose()


async def _connectors(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    for name, why in hub.registry.disabled.items():
        log.warning("kênh %s đang tắt: %s", name, why)
    for connector in hub.registry:
        log.info("kênh %s đang bật", connector.name)
        if runs_workers(hub.role):  # pollers (e-mail) run in workers; web processes take webhooks
            await connector.start(deliver_for(hub))
    yield
    for connector in hub.registry:
        try:
            await connector.stop()
        except Exception:
            log.exception("stopping %s failed", connector.name)


def typing_indicator(registry: ConnectorRegistry) -> Callable[[str, str], Awaitable[None]]:
    async def typing(channel: str, external_id: str) -> None:
        if channel in registry:
            await registry.get(channel).typing(external_id, True)

    return typing


def faq_config(settings: Settings) -> EngineConfig:
    """``HUB_FAQ_SEMANTIC=false`` keeps the FAQ engine lexical-only (no embedding model);
    ``HUB_FAQ_LEXICON`` names the deployment's lexicon file; ``HUB_FAQ_EMBEDDINGS`` the file
    keeping the embeddings across restarts."""
    config = EngineConfig() if settings.faq_semantic else EngineConfig.lexical_only()
    return replace(config, lexicon_path=settings.faq_lexicon, embedding_store=settings.faq_embeddings)


def choose_engines(parts: EngineParts) -> tuple[DialogueEngine, DialogueEngine | None]:
    """``HUB_ENGINE`` -> (engine, fallback when it is unavailable):

    * ``auto`` (default) or ``hub``: the hub's conversation engine (its policy decides);
      its NLU per ``HUB_NLU``: ``rasa`` (``/model/parse`` at ``HUB_RASA_URL``), ``cues``
      (the hub's own), ``auto`` = rasa when ``HUB_RASA_URL`` is set (``make run`` sets it);
    * ``rasa``: the conversation engine with Rasa's NLU;
    * ``rasa-dialogue``: Rasa runs the whole dialogue (REST channel), the FAQ engine
      answers when Rasa is down (kept for comparison);
    * ``faq``: the FAQ engine alone; ``handoff``: every message to an officer.
    """
    s = parts.settings
    mode = s.engine
    if mode not in ENGINES:
        raise ValueError(f"HUB_ENGINE={mode!r}: chọn {', '.join(ENGINES)}")
    if mode in ("auto", "hub", "rasa"):
        return conversation_engine(parts, with_rasa=mode == "rasa"), None
    faq = FaqDialogueEngine(parts.faq, s.hotline_name)
    if mode == "handoff":
        return HandoffEngine(s.hotline_name), None
    if mode == "rasa-dialogue":
        from bot.engines.rasa_engine import RasaEngine

        token = s.env.get("RASA_AUTH_TOKEN") or None
        return RasaEngine(s.rasa_url, timeout=s.rasa_timeout, auth_token=token, session=parts.http), faq
    return faq, None


def conversation_engine(parts: EngineParts, *, with_rasa: bool = False) -> DialogueEngine:
    """The hub's conversation engine, with Rasa's NLU when configured (see choose_engines)."""
    from bot.engines.conversation_engine import ConversationEngine, HotlineSource
    from bot.engines.rasa_engine import RasaNlu

    s = parts.settings
    if s.nlu not in NLUS:
        raise ValueError(f"HUB_NLU={s.nlu!r}: chọn {', '.join(NLUS)}")
    mode = s.nlu
    if mode == "auto":
        mode = "rasa" if with_rasa or s.env.get("HUB_RASA_URL") else "cues"
    token = s.env.get("RASA_AUTH_TOKEN") or None  # Rasa's HTTP API asks for it when set
    nlu = (
        RasaNlu(s.rasa_url, timeout=s.nlu_timeout, auth_token=token, session=parts.http)
        if mode == "rasa"
        else None
    )

    def on_nlu(name: str, ok: bool) -> None:
        (parts.metrics.engine_ok if ok else parts.metrics.engine_down)(name)

    hotline = HotlineSource(
        parts.sm, s.hotline_name, s.hotline_phone, ttl=s.hotline_scope_ttl, notice=privacy_notice(s)
    )
    return ConversationEngine(parts.faq, hotline, nlu=nlu, on_nlu=on_nlu)


async def _faq_index(app: web.Application) -> AsyncIterator[None]:
    """Load the active FAQ before answering anyone, then follow activations."""
    hub = app[HUB]
    if hub.settings.faq_path is not None:
        from bot.faq_seed import seed_if_empty

        for v in await seed_if_empty(hub.sm, hub.clock, hub.settings.faq_path):
            log.info("đã nạp bộ câu hỏi %s (%s câu) từ HUB_FAQ_PATH", v.agency, v.entry_count)
    await hub.faq.refresh()
    task = asyncio.create_task(hub.faq.run(), name="faq-index")
    yield
    hub.faq.stop()
    await stop_gracefully([task])


async def _workers(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    pipeline = asyncio.create_task(hub.pipeline.run(), name="pipeline")
    relay = asyncio.create_task(hub.relay.run(), name="outbox-relay")
    helpers = []

    def profile(channel: str, external_id: str) -> None:
        hub.spawn(fetch_profile_once(hub, channel, external_id))

    if hub.role == "worker":  # woken by the web processes; seen alive by their /healthz
        wakes = hear_wakes(hub.bus, hub.pipeline.notify, hub.relay.notify, profile)
        helpers.append(asyncio.create_task(wakes))
        helpers.append(asyncio.create_task(heartbeat(hub.sm, hub.clock, heartbeat_name())))
    yield
    hub.pipeline.stop()
    hub.relay.stop()
    for task in helpers:
        task.cancel()
    await asyncio.gather(*helpers, return_exceptions=True)
    await stop_gracefully([pipeline, relay])
    for task in list(hub.tasks):
        task.cancel()
    await asyncio.gather(*hub.tasks, return_exceptions=True)
