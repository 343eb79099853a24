"""Which engine answers: ``make run`` (Rasa started) is the hub's conversation engine with
Rasa's NLU at Rasa's URL; ``--no-rasa`` the same engine with the hub's cues; Rasa's own
dialogue stays selectable (``--engine rasa-dialogue``) with the FAQ engine behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.__main__ import build_parser
from bot.app import create_app
from bot.config import Settings
from bot.engines.conversation_engine import ConversationEngine
from bot.engines.faq_engine import FaqDialogueEngine
from bot.engines.rasa_engine import RasaEngine, RasaNlu
from bot.hub import HUB
from bot.runner import with_rasa_at, without_rasa
from tests.conftest import settings_with

RASA = "http://127.0.0.1:5999"


@pytest.fixture
async def engines(hub_settings: Settings) -> AsyncIterator[Callable[..., Any]]:
    hubs: list[Any] = []

    async def make(settings: Settings) -> tuple[Any, Any]:
        hub = (await create_app(settings, run_workers=False))[HUB]
        hubs.append(hub)
        return hub.pipeline.engine, hub.pipeline.fallback

    yield make
    for hub in hubs:
        await hub.http.close()
        await hub.db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_make_run_is_the_conversation_engine_with_rasas_nlu(
    hub_settings: Settings, engines: Any
) -> None:
    engine, fallback = await engines(with_rasa_at(hub_settings, RASA))
    assert isinstance(engine, ConversationEngine) and fallback is None
    assert isinstance(engine.nlu, RasaNlu) and engine.nlu.base_url == RASA


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_rasa_is_the_conversation_engine_with_the_hubs_cues(
    hub_settings: Settings, engines: Any
) -> None:
    for configured in ("auto", "rasa", "rasa-dialogue"):
        base = settings_with(hub_settings, engine=configured, env={"HUB_RASA_URL": RASA})
        engine, _ = await engines(without_rasa(base))
        assert isinstance(engine, ConversationEngine) and engine.nlu is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_rasa_dialogue_stays_selectable_with_the_faq_engine_behind_it(
    hub_settings: Settings, engines: Any
) -> None:
    args = build_parser().parse_args(["run", "--engine", "rasa-dialogue"])
    settings = with_rasa_at(settings_with(hub_settings, engine=args.engine), RASA)
    engine, fallback = await engines(settings)
    assert isinstance(engine, RasaEngine) and engine.base_url == RASA
    assert isinstance(fallback, FaqDialogueEngine)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_settings_choose_the_nlu_and_refuse_unknown_values(
    hub_settings: Settings, engines: Any
) -> None:
    engine, _ = await engines(settings_with(hub_settings, env={"HUB_RASA_URL": RASA}, rasa_url=RASA))
    assert isinstance(engine.nlu, RasaNlu)  # auto: Rasa's NLU when HUB_RASA_URL is set
    engine, _ = await engines(settings_with(hub_settings, env={"HUB_RASA_URL": RASA}, nlu="cues"))
    assert engine.nlu is None
    engine, _ = await engines(settings_with(hub_settings, engine="rasa"))
    assert isinstance(engine.nlu, RasaNlu)
    with pytest.raises(ValueError, match="HUB_ENGINE"):
        await engines(settings_with(hub_settings, engine="rasa-core"))
    with pytest.raises(ValueError, match="HUB_NLU"):
        await engines(settings_with(hub_settings, nlu="spacy"))


def test_settings_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "HUB_NLU": "Cues",
            "HUB_NLU_TIMEOUT": "1.5",
            "HUB_HOTLINE_PHONE": " 1022 ",
            "HUB_HOTLINE_SCOPE_TTL": "5",
        }
    )
    assert (s.nlu, s.nlu_timeout, s.hotline_phone, s.hotline_scope_ttl) == ("cues", 1.5, "1022", 5.0)
    assert Settings.from_env({}).engine == "auto" and Settings.from_env({}).nlu == "auto"
