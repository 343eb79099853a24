"""FAQ versions in a running hub: the bot answers from the active version; activating a
new version or rolling back switches every worker within seconds, without a restart, and
no query sees a half-built index."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from bot.faq_store import activate, diff_with_active, import_version, versions
from bot.hub import HUB
from faq.model import FaqEntry
from storage.clock import SystemClock
from tests.conftest import settings_with, wait_for


def entries(answer: str) -> list[FaqEntry]:
    return [
        FaqEntry("T1", "Thủ tục đăng ký tạm trú cần những giấy tờ gì?", answer, "Hành chính", "Công an tỉnh"),
        FaqEntry(
            "T2",
            "Lệ phí cấp đổi giấy phép lái xe là bao nhiêu?",
            "Lệ phí là 135.000 đồng.",
            "Giao thông",
            "Sở Giao thông vận tải",
        ),
        FaqEntry("T3", "Tiêm vắc xin cho trẻ em ở đâu?", "Tại trạm y tế xã, phường.", "Y tế", "Sở Y tế"),
    ]


async def ask(client: Any, token: str, text: str) -> str:
    r = await client.post(
        "/webchat/api/messages",
        headers={"Authorization": f"Bearer {token}"},
        json={"client_id": str(uuid.uuid4()), "text": text},
    )
    seq = (await r.json())["seq"]

    async def reply() -> str | None:
        got = await client.get(
            f"/webchat/api/messages?after={seq}", headers={"Authorization": f"Bearer {token}"}
        )
        msgs = [m for m in (await got.json())["messages"] if m["direction"] == "out"]
        return msgs[0]["text"] if msgs else None

    text_out: str = await wait_for(reply, timeout=15)
    return text_out


async def new_token(client: Any) -> str:
    token: str = (await (await client.post("/webchat/api/session", json={})).json())["session_token"]
    return token


async def test_switch_and_rollback_while_citizens_ask(hub_settings: Any, aiohttp_client: Any) -> None:
    from bot.app import create_app

    settings = settings_with(hub_settings, faq_poll_interval=0.2, faq_semantic=False)
    client = await aiohttp_client(await create_app(settings))
    hub = client.app[HUB]
    clock = SystemClock()
    v1 = await import_version(
        hub.sm, clock, entries("Mang căn cước và sổ hộ khẩu (bản cũ)."), "Công an tỉnh", activate=True
    )
    await wait_for(lambda: hub.faq.available, timeout=10)
    question = "dang ky tam tru can giay to j"
    answer = await ask(client, await new_token(client), question)
    assert "bản cũ" in answer and "Công an tỉnh" in answer

    v2 = await import_version(hub.sm, clock, entries("Chỉ cần căn cước công dân (bản mới)."), "Công an tỉnh")
    change = await diff_with_active(hub.sm, v2.id)
    assert (
        [(c.new.id, c.fields) for c in change.changed] == [("T1", ("answer",))]
        and not change.added
        and not change.removed
    )
    assert "bản cũ" in await ask(client, await new_token(client), question)  # imported, not active

    async def asker() -> list[str]:
        token = await new_token(client)
        return [await ask(client, token, question) for _ in range(3)]

    askers = [asyncio.create_task(asker()) for _ in range(4)]
    await activate(hub.sm, clock, v2.id)
    answers = [a for t in askers for a in await t]
    assert all(("bản cũ" in a) or ("bản mới" in a) for a in answers), answers
    await wait_for(lambda: _answers_with(client, question, "bản mới"), timeout=10)

    await activate(hub.sm, clock, v1.id)  # rollback
    await wait_for(lambda: _answers_with(client, question, "bản cũ"), timeout=10)
    assert [(v.number, v.active) for v in await versions(hub.sm, "Công an tỉnh")] == [(2, False), (1, True)]


async def _answers_with(client: Any, question: str, fragment: str) -> bool:
    return fragment in await ask(client, await new_token(client), question)


async def test_unanswerable_question_is_handed_off(hub_settings: Any, aiohttp_client: Any) -> None:
    from bot.app import create_app

    settings = settings_with(hub_settings, faq_poll_interval=0.2, faq_semantic=False)
    client = await aiohttp_client(await create_app(settings))
    hub = client.app[HUB]
    await import_version(hub.sm, SystemClock(), entries("Mang căn cước."), "Công an tỉnh", activate=True)
    await wait_for(lambda: hub.faq.available, timeout=10)
    answer = await ask(client, await new_token(client), "Ngày mai trời có mưa không?")
    # no answer from the FAQ: the citizen is offered an officer (the hub's conversation engine)
    assert "Mang căn cước" not in answer and "cán bộ" in answer


def test_interim_index_suggests_but_never_answers() -> None:
    """The lexical index that serves while the full one builds offers choices only."""
    from bot.faq_store import INTERIM
    from faq.engine import FaqEngine

    engine = FaqEngine.build(entries("Mang căn cước."), INTERIM)
    decision = engine.decide("Thủ tục đăng ký tạm trú cần những giấy tờ gì?")
    assert decision.decision == "suggest"
    assert decision.candidates[0].entry.id == "T1"


async def test_hub_index_serves_suggestions_only_until_the_full_index_is_built(hub_app: Any) -> None:
    """A worker rebuilding its index (here: 200 entries, the embedding model on) serves the
    interim lexical index at once, which suggests but never answers; the full index answers."""
    from bot.faq_store import FaqIndex
    from storage.migrate import upgrade

    hub = hub_app[HUB]
    await upgrade(hub.db)
    many = entries("Mang căn cước.") + [
        FaqEntry(
            f"X{i}", f"Hỏi về thủ tục hành chính số {i} tại xã {i}?", f"Trả lời {i}.", "Khác", "Công an tỉnh"
        )
        for i in range(200)
    ]
    try:
        await import_version(hub.sm, SystemClock(), many, "Công an tỉnh", activate=True)
        index = FaqIndex(hub.sm)  # default config: embedding model on, staged rebuild
        building = asyncio.create_task(index.refresh())
        await wait_for(lambda: index.available or building.done(), timeout=60, interval=0.005)
        assert not building.done(), "the full index was built before the interim one could be seen"
        interim = index.holder.decide("Thủ tục đăng ký tạm trú cần những giấy tờ gì?")
        assert interim.decision == "suggest" and interim.candidates[0].entry.id == "T1"
        await building
        assert index.holder.engine.config.use_semantic
        full = index.holder.decide("Thủ tục đăng ký tạm trú cần những giấy tờ gì?")
        assert full.decision == "answer" and full.entry is not None and full.entry.id == "T1"
    finally:
        await hub.http.close()
        await hub.db.dispose()
