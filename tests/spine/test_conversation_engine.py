"""The hub's conversation engine against a real FAQ index and a real database, without Rasa
(the hub's own cues read the message), with a Rasa that is down (the cues take over and
the metrics hear of it) and with a loopback Rasa NLU; the hotline as citizens see it.

The policy's own cases are tested in tests/dialogue; here: what the engine gathers for it
and what comes back to the pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from actions.common import DEFAULT_SCOPE  # the scope shown when no console domain is active
from actions.dialogue import DialogueState
from bot.engine import EngineRequest, EngineResult
from bot.engines.conversation_engine import ConversationEngine, HotlineSource
from bot.engines.rasa_engine import RasaNlu
from bot.faq_store import FaqIndex
from devtools.clock import FakeClock
from devtools.net import free_port
from faq.engine import EngineConfig, FaqEngine
from faq.model import FaqEntry
from storage.migrate import upgrade
from storage.models_console import Domain
from storage.session import SessionMaker, create_engine, make_sessionmaker

FAQ = [
    FaqEntry(
        "CA1",
        "Làm căn cước công dân ở đâu?",
        "Công dân làm căn cước tại Công an cấp huyện.",
        "An ninh",
        "Công an tỉnh",
    ),
    FaqEntry(
        "GT1",
        "Lệ phí cấp đổi giấy phép lái xe là bao nhiêu?",
        "Lệ phí là 135.000 đồng.",
        "Giao thông",
        "Sở Giao thông vận tải",
    ),
    FaqEntry("YT1", "Tiêm vắc xin cho trẻ em ở đâu?", "Tại trạm y tế xã, phường.", "Y tế", "Sở Y tế"),
]


PHONE = "0237 3 123 456"


@pytest.fixture
async def sm(tmp_path: Path) -> AsyncIterator[SessionMaker]:
    db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}")
    await upgrade(db)
    yield make_sessionmaker(db)
    await db.dispose()


@pytest.fixture
def faq(sm: SessionMaker) -> FaqIndex:
    index = FaqIndex(sm)
    index.holder.swap(FaqEngine.build(FAQ, EngineConfig.lexical_only()), version="t")
    return index


def request(
    text: str, state: DialogueState | None = None, *, first: bool = False, n: int = 1
) -> EngineRequest:
    return EngineRequest(
        conversation_id=1,
        sender_id="conv-1-0",
        channel="webchat",
        text=text,
        message_id=n,
        profile={"phone": "0912345678", "display_name": "An"},
        dialogue=(state or DialogueState(greeted=True)).to_json(),
        first_contact=first,
    )


def engine(faq: FaqIndex, sm: SessionMaker, **kw: Any) -> ConversationEngine:
    return ConversationEngine(faq, HotlineSource(sm, "Tổng đài 1022", PHONE), **kw)


def texts(result: EngineResult) -> str:
    return "\n".join(r.text for r in result.replies)


async def test_a_question_is_answered_from_the_faq_read_by_the_hubs_cues(
    faq: FaqIndex, sm: SessionMaker
) -> None:
    result = await engine(faq, sm).respond(request("làm căn cước công dân ở đâu vậy"))
    assert result.decision is not None and result.decision.faq_id == "CA1"
    assert result.meta["nlu"] == "cues" and result.meta["faq_id"] == "CA1"
    assert result.meta["act"] == result.decision.act
    assert "Công an cấp huyện" in texts(result) and "Công an tỉnh" in texts(result)
    assert [r.text for r in result.replies] == [r.text for r in result.decision.replies]


async def test_no_faq_loaded_is_no_answer(sm: SessionMaker) -> None:
    result = await engine(FaqIndex(sm), sm).respond(request("làm căn cước công dân ở đâu vậy"))
    assert result.decision is not None and result.decision.faq_id is None
    assert result.replies  # one reply per citizen message, whatever the policy decided


async def test_rasa_down_the_cues_read_and_the_metrics_hear_of_it(faq: FaqIndex, sm: SessionMaker) -> None:
    heard: list[tuple[str, bool]] = []
    nlu = RasaNlu(f"http://127.0.0.1:{free_port()}", timeout=2)
    try:
        result = await engine(faq, sm, nlu=nlu, on_nlu=lambda n, ok: heard.append((n, ok))).respond(
            request("làm căn cước công dân ở đâu vậy")
        )
    finally:
        await nlu.close()
    assert heard == [("rasa", False)]
    assert result.meta["nlu"] == "cues" and result.decision is not None and result.decision.faq_id == "CA1"


async def rasa_answering(intent: str, confidence: float) -> TestServer:
    async def parse(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "intent": {"name": intent, "confidence": confidence},
                "intent_ranking": [{"name": intent, "confidence": confidence}],
                "entities": [],
            }
        )

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_rasa_up_its_reading_is_recorded(faq: FaqIndex, sm: SessionMaker) -> None:
    heard: list[tuple[str, bool]] = []
    server = await rasa_answering("ask_question", 0.9)
    nlu = RasaNlu(str(server.make_url("")), timeout=5)
    try:
        result = await engine(faq, sm, nlu=nlu, on_nlu=lambda n, ok: heard.append((n, ok))).respond(
            request("làm căn cước công dân ở đâu vậy")
        )
    finally:
        await nlu.close()
        await server.close()
    assert heard == [("rasa", True)]
    assert result.meta["nlu"] == "rasa" and result.decision is not None and result.decision.faq_id == "CA1"


async def test_a_form_answer_or_a_suggestion_number_asks_neither_rasa_nor_the_faq(
    faq: FaqIndex, sm: SessionMaker
) -> None:
    """The policy reads a contact-form answer with the form's own checks and a suggestion's
    number with the choice it names: Rasa is not asked (a question mid-form still is)."""
    from actions.dialogue import FormState

    heard: list[tuple[str, bool]] = []
    server = await rasa_answering("ask_question", 0.9)
    nlu = RasaNlu(str(server.make_url("")), timeout=5)
    hub = engine(faq, sm, nlu=nlu, on_nlu=lambda n, ok: heard.append((n, ok)))
    in_form = DialogueState(greeted=True, form=FormState("request_human", "phone", "mất điện"))
    offered = DialogueState(greeted=True, suggestions=("CA1", "GT1"), pending_text="giấy tờ")
    try:
        phone = await hub.respond(request("0912345678", in_form))
        picked = await hub.respond(request("2", offered))
        assert heard == []
        asked = await hub.respond(request("làm căn cước công dân ở đâu vậy?", in_form))
    finally:
        await nlu.close()
        await server.close()
    assert phone.meta["nlu"] == "none" and picked.meta["nlu"] == "none"
    assert picked.decision is not None and picked.decision.faq_id == "GT1"
    assert heard == [("rasa", True)] and asked.decision is not None and asked.decision.faq_id == "CA1"


async def test_the_hotline_scope_is_the_active_domains_read_again_after_its_ttl(sm: SessionMaker) -> None:
    clock = FakeClock(1000.0)
    source = HotlineSource(sm, "Tổng đài 1022 Thanh Hóa", "1022 hoặc 0237 3 123 456", ttl=30, clock=clock)
    first = await source.get()
    assert first.scope == DEFAULT_SCOPE  # no console domain yet
    assert (first.name, first.phone) == ("Tổng đài 1022 Thanh Hóa", "1022 hoặc 0237 3 123 456")
    async with sm() as s, s.begin():
        s.add_all(
            [
                Domain(code="y-te", name="Y tế", position=2, active=True),
                Domain(code="giao-thong", name="Giao thông", position=1, active=True),
                Domain(code="cu", name="Lĩnh vực cũ", position=0, active=False),
            ]
        )
    clock.advance(29)
    assert (await source.get()).scope == DEFAULT_SCOPE  # cached
    clock.advance(1)
    assert (await source.get()).scope == ("Giao thông", "Y tế")


async def test_a_first_contact_is_greeted_before_the_answer(faq: FaqIndex, sm: SessionMaker) -> None:
    question = "làm căn cước công dân ở đâu"
    result = await engine(faq, sm).respond(request(question, DialogueState(), first=True))
    assert result.decision is not None and result.decision.state.greeted
    assert len(result.replies) == 2 and "Công an cấp huyện" in result.replies[1].text
    assert PHONE in result.replies[0].text  # the hotline's phone (HUB_HOTLINE_PHONE) in the greeting
    again = await engine(faq, sm).respond(request(question, result.decision.state, n=2))
    assert len(again.replies) == 1  # greeted once


async def test_a_picked_suggestion_is_answered_from_the_active_faq(faq: FaqIndex, sm: SessionMaker) -> None:
    offered = DialogueState(greeted=True, suggestions=("GT1", "YT1"))
    result = await engine(faq, sm).respond(request("2", offered))
    assert result.decision is not None and result.decision.faq_id == "YT1"
    assert "trạm y tế" in texts(result) and result.decision.state.suggestions == ()
    gone = DialogueState(greeted=True, suggestions=("GT1", "XX9"))  # no longer in the active set
    result = await engine(faq, sm).respond(request("2", gone))
    assert result.decision is not None and result.decision.faq_id is None


async def test_the_pending_text_is_looked_up_when_the_citizen_wants_information(
    faq: FaqIndex, sm: SessionMaker
) -> None:
    """ "Information or report?" about an earlier message: the FAQ's view of that message
    (``pending_text``), not of the tap, answers it."""
    asked = DialogueState(greeted=True, pending="clarify", pending_text="tiêm vắc xin cho trẻ em ở đâu")
    result = await engine(faq, sm).respond(request("Hỏi thông tin", asked))
    d = result.decision
    assert d is not None and d.state.pending is None
    # answered, or offered first when the engine is not sure enough (policy.ANSWER_MIN_SCORE)
    assert d.faq_id == "YT1" or (d.act == "suggest" and d.state.suggestions[0] == "YT1")


async def test_a_huge_message_is_read_by_its_bounded_prefix(faq: FaqIndex, sm: SessionMaker) -> None:
    """The policy's cues read what the FAQ engine and Rasa read (faq.bounds): a
    100,000-character message took 30-80 s of the event loop when read whole."""
    for huge in ("tiêm vắc xin ở đâu " * 5000, "x" * 100_000, "đường bị ngập, " * 6000):
        result = await asyncio.wait_for(engine(faq, sm).respond(request(huge)), timeout=5)
        assert result.replies


async def test_what_the_decision_keeps_of_a_long_message_is_the_whole_of_it(
    faq: FaqIndex, sm: SessionMaker
) -> None:
    long_note = " ".join(f"chi tiết thứ {i} của vụ việc" for i in range(120))  # 720 words
    with_ticket = DialogueState(greeted=True, ticket_code="1022-2026-000001")
    result = await engine(faq, sm).respond(request(long_note, with_ticket))
    assert result.decision is not None and result.decision.ticket_note == long_note
