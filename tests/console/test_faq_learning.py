"""Learning from use (issue 12) in a running hub, on SQLite and PostgreSQL: a citizen's tap on
a suggestion, an operator's "Dùng câu trả lời này" and "Bot trả lời sai" are recorded with
the citizen's own words; the agency's officer (only theirs) sees the proposed phrasings and
the warnings, rejects one (never proposed again) and accepts one into a new FAQ version
that shows in the diff and is activated like any upload; every decision is audited."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.faq_store import generation, import_version, version_entries
from bot.hub import HUB
from faq.model import FaqEntry
from storage.clock import ManualClock
from storage.models_console import AuditLog
from storage.models_faq import FaqFeedback
from tests.conftest import wait_for

GTVT = "Sở Giao thông vận tải"
D = "Giao thông"
FAQ = [
    FaqEntry(
        "GT1",
        "Giấy phép lái xe ô tô hết hạn thì cấp đổi ở đâu, có làm trực tuyến được không?",
        "Cấp đổi tại Công an tỉnh hoặc trực tuyến trên Cổng Dịch vụ công, ứng dụng VNeID.",
        D,
        GTVT,
    ),
    FaqEntry(
        "GT2",
        "Tra cứu phạt nguội xe ở đâu và nộp phạt như thế nào?",
        "Tra cứu trên trang của Cục Cảnh sát giao thông; nộp phạt qua Cổng Dịch vụ công.",
        D,
        GTVT,
    ),
    FaqEntry(
        "GT3",
        "Mua xe máy mới thì đăng ký xe ở đâu và cần giấy tờ gì?",
        "Đăng ký tại Công an xã nơi cư trú, mang căn cước và hóa đơn mua xe.",
        D,
        GTVT,
    ),
    FaqEntry(
        "GT4",
        "Mua xe máy, ô tô cũ thì thủ tục sang tên thực hiện như thế nào?",
        "Sang tên tại Công an xã nơi cư trú của người mua trong 30 ngày.",
        D,
        GTVT,
    ),
    FaqEntry(
        "GT5",
        "Bị mất giấy phép lái xe thì làm thủ tục cấp lại như thế nào?",
        "Nộp đơn đề nghị cấp lại tại Công an tỉnh; không phải thi lại nếu còn hồ sơ gốc.",
        D,
        GTVT,
    ),
    FaqEntry(
        "GT6",
        "Điểm giấy phép lái xe bị trừ như thế nào và khi nào được phục hồi?",
        "Mỗi giấy phép có 12 điểm; sau 12 tháng không bị trừ điểm thì được phục hồi đủ.",
        D,
        GTVT,
    ),
    FaqEntry(
        "GT7",
        "Xe ô tô đến hạn đăng kiểm thì đặt lịch ở đâu?",
        "Đặt lịch trên trang của Cục Đăng kiểm hoặc gọi trung tâm đăng kiểm.",
        D,
        GTVT,
    ),
]
YTE = [FaqEntry("YT1", "Tiêm vắc xin cho trẻ em ở đâu?", "Tại trạm y tế xã, phường.", "Y tế", "Sở Y tế")]
# a paraphrase of GT2 sharing almost no words with it: the bot offers numbered suggestions
CAMERA = "Xe tôi bị camera chụp vượt đèn đỏ thì tra ở đâu, đóng phạt thế nào?"
LOST = "Tôi làm mất bằng lái rồi, xin cấp lại thế nào?"  # answered directly (GT5)


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:
    """The hub's default settings (the FAQ engine with its semantic model, no Rasa); the FAQ
    index polls the database every 0.2 s."""
    settings = replace(hub_settings, faq_poll_interval=0.2, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"})
    return await create_app(settings, clock=console_clock)


async def serving(app: web.Application) -> None:
    """Until this worker's full index (with the semantic model) follows the active set."""
    hub = app[HUB]
    gen = await generation(hub.sm)

    def ready() -> bool:
        return bool(
            hub.faq.generation == gen and hub.faq.available and hub.faq.holder.engine.config.use_semantic
        )

    await wait_for(ready, timeout=90)


async def with_faq(app: web.Application) -> None:
    hub = app[HUB]
    await import_version(hub.sm, hub.clock, FAQ, GTVT, activate=True)
    await import_version(hub.sm, hub.clock, YTE, "Sở Y tế", activate=True)
    await serving(app)


class Citizen:
    """One web chat session through the public API."""

    def __init__(self, client: Any) -> None:
        self.client, self.token, self.conversation_id = client, "", 0

    async def start(self) -> Citizen:
        body = await (await self.client.post("/webchat/api/session", json={})).json()
        self.token, self.conversation_id = body["session_token"], body["conversation_id"]
        return self

    async def say(self, text: str) -> dict[str, Any]:
        """The bot's (last) reply to ``text``, as the web chat API shows it."""
        auth = {"Authorization": f"Bearer {self.token}"}
        r = await self.client.post(
            "/webchat/api/messages", headers=auth, json={"client_id": str(uuid.uuid4()), "text": text}
        )
        seq = (await r.json())["seq"]

        async def reply() -> dict[str, Any] | None:
            got = await self.client.get(f"/webchat/api/messages?after={seq}", headers=auth)
            out = [m for m in (await got.json())["messages"] if m["direction"] == "out"]
            return out[-1] if out else None

        found: dict[str, Any] = await wait_for(reply, timeout=30)
        return found


def number_of(reply: dict[str, Any], question: str) -> str:
    """The number the suggestion reply gives ``question`` (what the citizen taps)."""
    m = re.search(rf"^(\d+)\. {re.escape(question)}$", reply["text"], re.M)
    assert m, reply["text"]
    assert {"title": m.group(1), "payload": m.group(1)} in reply["buttons"]
    return m.group(1)


async def feedback(app: web.Application) -> list[tuple[str, str, str, str]]:
    async with app[HUB].sm() as s:
        rows = (await s.execute(select(FaqFeedback).order_by(FaqFeedback.id))).scalars().all()
        return [(r.outcome, r.entry_id, r.agency, r.message_text) for r in rows]


async def test_outcomes_recorded_proposed_rejected_accepted(people: Any, console_client: Any) -> None:
    app = console_client.app
    await with_faq(app)
    # 1. a citizen taps a suggestion: their question is recorded, not the tap
    c1 = await Citizen(console_client).start()
    offered = await c1.say(CAMERA)
    assert offered["act"] == "suggest", offered
    answered = await c1.say(number_of(offered, FAQ[1].question))
    assert (answered["act"], answered["faq_id"]) == ("answer", "GT2")
    # 2. an operator answers with an entry found in the FAQ search
    c2 = await Citizen(console_client).start()
    await c2.say("Ngày mai trời có mưa không?")  # nothing in the FAQ: the bot offers an officer
    op = await people("op1")
    assert (await op.post(f"/console/api/conversations/{c2.conversation_id}/take"))[0] == 200
    _, found = await op.get("/console/api/faq?q=" + "đặt lịch đăng kiểm ô tô")
    assert found["results"][0]["id"] == "GT7"
    path = f"/console/api/conversations/{c2.conversation_id}/faq-reply"
    assert (await op.post(path, {"faq_id": "GT7"}, csrf="wrong"))[0] == 403
    status, body = await op.post(path, {"faq_id": "GT7"})
    assert (
        status == 200 and body["message"]["text"] == FAQ[6].answer and body["message"]["sender"] == "operator"
    )
    assert (await op.post(path, {"faq_id": "KHONG-CO"}))[0] == 404
    # 3. an operator marks a bot answer wrong: the citizen's question it answered is recorded
    c3 = await Citizen(console_client).start()
    direct = await c3.say(LOST)
    assert (direct["act"], direct["faq_id"]) == ("answer", "GT5"), direct
    status, body = await op.post(f"/console/api/messages/{direct['id']}/wrong")
    assert status == 200 and body == {"ok": True, "faq_id": "GT5", "text": LOST}
    assert (await op.post(f"/console/api/messages/{direct['id']}/wrong"))[0] == 409
    assert (await op.post(f"/console/api/messages/{offered['id']}/wrong"))[0] == 404  # no FAQ answer
    assert (await feedback(app)) == [
        ("tapped", "GT2", GTVT, CAMERA),
        ("operator_used", "GT7", GTVT, "Ngày mai trời có mưa không?"),
        ("marked_wrong", "GT5", GTVT, LOST),
    ]

    # the agency's officer sees proposals for its own entries; another agency's does not
    officer, other = await people("gtvt1"), await people("yte1")
    _, listing = await officer.get("/console/api/faq/proposals")
    by_id = {e["entry_id"]: e for e in listing["entries"]}
    assert [p["text"] for p in by_id["GT7"]["proposals"]] == ["Ngày mai trời có mưa không?"]
    assert by_id["GT7"]["proposals"][0]["outcomes"] == {"operator_used": 1}
    assert by_id["GT5"]["proposals"] == [] and [w["text"] for w in by_id["GT5"]["warnings"]] == [LOST]
    assert [(p["text"], p["count"]) for p in by_id["GT2"]["proposals"]] == [(CAMERA, 1)]
    assert set(by_id) == {"GT2", "GT5", "GT7"}
    _, theirs = await other.get("/console/api/faq/proposals")
    assert theirs["entries"] == []
    assert (await op.get("/console/api/faq/proposals"))[0] == 403
    _, everything = await (await people("admin1")).get("/console/api/faq/proposals")
    assert {e["entry_id"] for e in everything["entries"]} == set(by_id)
    gt7 = {"agency": GTVT, "entry_id": "GT7", "text": "Ngày mai trời có mưa không?"}
    assert (await other.post("/console/api/faq/proposals/accept", gt7))[0] == 403
    assert (await other.post("/console/api/faq/proposals/reject", gt7))[0] == 403
    assert (await officer.post("/console/api/faq/proposals/reject", gt7, csrf="x"))[0] == 403

    # reject: gone for good
    assert (await officer.post("/console/api/faq/proposals/reject", gt7))[0] == 200
    _, listing = await officer.get("/console/api/faq/proposals")
    assert "GT7" not in {e["entry_id"] for e in listing["entries"]}
    assert (await officer.post("/console/api/faq/proposals/accept", gt7))[0] == 404

    await accept_without_activating(app, officer, console_client)


async def accept_without_activating(app: web.Application, officer: Any, client: Any) -> None:
    """Accept into a version kept inactive: in the diff, then activated like any upload."""
    c4 = await Citizen(client).start()
    text = "bằng B2 sắp hết hạn, muốn đổi online được không?"
    offered = await c4.say(text)
    assert offered["act"] == "suggest", offered
    assert (await c4.say(number_of(offered, FAQ[0].question)))["faq_id"] == "GT1"
    proposal = {"agency": GTVT, "entry_id": "GT1", "text": text, "activate": False}
    status, body = await officer.post("/console/api/faq/proposals/accept", proposal)
    assert status == 200 and body["version"]["active"] is False and body["version"]["number"] == 2
    version_id = body["version"]["id"]
    _, d = await officer.get(f"/console/api/faq/versions/{version_id}/diff")
    assert d == {
        "added": [],
        "removed": [],
        "changed": [{"id": "GT1", "question": FAQ[0].question, "fields": ["alternatives"]}],
    }
    assert (await officer.post("/console/api/faq/proposals/accept", proposal))[0] == 404  # decided
    status, body = await officer.post(f"/console/api/faq/versions/{version_id}/activate")
    assert status == 200 and body["version"]["active"] is True
    entries = {e.id: e for e in await version_entries(app[HUB].sm, version_id)}
    assert entries["GT1"].alternatives == (text,) and entries["GT2"] == FAQ[1]
    async with app[HUB].sm() as s:
        actions = (
            await s.execute(
                select(AuditLog.action, AuditLog.username)
                .where(AuditLog.action.like("faq.%"))
                .order_by(AuditLog.id)
            )
        ).all()
    assert [tuple(a) for a in actions] == [
        ("faq.mark_wrong", "op1"),
        ("faq.reject_phrasing", "gtvt1"),
        ("faq.accept_phrasing", "gtvt1"),
        ("faq.activate", "gtvt1"),
    ]
