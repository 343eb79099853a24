"""FAQ versions side by side in a running hub (two hub apps on one database, SQLite and
PostgreSQL): an agency's own upload next to an admin's set holding the same questions is
flagged at upload (and in a preview that stores nothing), the bot answers the shared question
instead of offering "1. X 2. X", an admin deactivates and re-activates versions (audited, seen
by both hubs through the database), and an agency officer sees, read-only, the versions
answering in the agency's name."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from bot.faq_store import activate, active_entries, deactivate, import_version
from bot.hub import HUB
from faq.engine import EngineConfig, FaqEngine
from faq.model import FaqEntry
from storage.clock import ManualClock
from tests.conftest import wait_for
from tests.console.test_faq_upload import form, upload
from tests.spine.test_faq_hub import ask, new_token

# an admin's set: two questions in the name of Sở Y tế, one of Công an tỉnh
CENTRAL = (
    "Mã,Câu hỏi,Trả lời,Lĩnh vực,Đơn vị\n"
    "C1,Tiêm vắc xin cho trẻ em ở đâu?,Tại trạm y tế xã (bộ trung tâm).,Y tế,Sở Y tế\n"
    "C2,Lệ phí cấp đổi giấy phép lái xe là bao nhiêu tiền?,135.000 đồng (bộ trung tâm).,Giao thông,Sở Y tế\n"
    "C3,Đăng ký tạm trú cần giấy tờ gì?,Căn cước công dân (bộ trung tâm).,Hành chính,Công an tỉnh\n"
)
# Sở Y tế's own: the same first question written differently, a near-duplicate, a new one
OWN = (
    "Mã,Câu hỏi,Trả lời,Lĩnh vực\n"
    "YT1,tiem vac xin cho tre em o dau,Tại trạm y tế xã (bộ của Sở).,Y tế\n"
    "YT2,Lệ phí cấp đổi giấy phép lái xe là bao nhiêu tiền ạ?,135.000 đồng (bộ của Sở).,Y tế\n"
    "YT3,Xét nghiệm COVID-19 ở đâu?,Tại trung tâm y tế huyện (bộ của Sở).,Y tế\n"
)
QUESTION = "Tiêm vắc xin cho trẻ em ở đâu?"


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:
    """The console's hub, its FAQ index lexical-only and polling the database every 0.2 s."""
    return await create_app(_settings(hub_settings), clock=console_clock)


def _settings(hub_settings: Settings) -> Settings:
    return replace(
        hub_settings, faq_poll_interval=0.2, faq_semantic=False, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"}
    )


async def _answer(client: Any) -> str:
    return await ask(client, await new_token(client), QUESTION)


async def _answers_with(client: Any, fragment: str) -> bool:
    return fragment in await _answer(client)


async def test_shared_questions_flagged_answered_once_and_deactivated(
    people: Any, hub_settings: Settings, console_clock: ManualClock, console_client: Any, aiohttp_client: Any
) -> None:
    other_hub = await aiohttp_client(await create_app(_settings(hub_settings), clock=console_clock))
    hubs = (console_client, other_hub)
    admin = await people("admin1")
    officer = await people("yte1")  # Sở Y tế

    central = await upload(admin, CENTRAL, agency="Tổng đài")
    assert central["state"] == "done" and central["overlap"]["questions"] == 0

    preview = await upload(officer, OWN, preview=True)
    assert preview["state"] == "checked" and preview["entries"] == 3 and "version" not in preview
    assert preview["diff"] == {"added": 3, "changed": 0, "removed": 0}
    _, listing = await officer.get("/console/api/faq/versions")
    assert [v["agency"] for v in listing["versions"]] == ["Tổng đài"]  # the preview stored nothing

    own = await upload(officer, OWN)
    assert own["state"] == "done" and own["version"]["active"] and own["agency"] == "Sở Y tế"
    for job in (preview, own):
        overlap = job["overlap"]
        assert (overlap["questions"], overlap["same"], overlap["near"]) == (2, 1, 1)
        assert [(c["agency"], c["version"], c["same"], c["near"]) for c in overlap["by_version"]] == [
            ("Tổng đài", 1, 1, 1)
        ]
        assert [(i["id"], i["other_id"], i["same"]) for i in overlap["items"]] == [
            ("YT1", "C1", True),
            ("YT2", "C2", False),
        ]
        assert (
            "Câu hỏi trùng với bộ của Tổng đài (phiên bản 1): “tiem vac xin cho tre em o dau”"
            in overlap["text"]
        )
        assert "- Tổng đài (phiên bản 1): 1 câu trùng, 1 câu gần trùng" in overlap["text"]

    # both hubs answer the shared question from the agency's own version: no "1. X 2. X"
    for hub in hubs:
        await wait_for(lambda hub=hub: _answers_with(hub, "(bộ của Sở)"), timeout=15)
        assert "1." not in await _answer(hub)

    own_id, central_id = own["version"]["id"], central["version"]["id"]
    status, body = await officer.post(f"/console/api/faq/versions/{central_id}/deactivate")
    assert status == 403, body
    status, body = await admin.post(f"/console/api/faq/versions/{own_id}/deactivate")
    assert status == 200 and body["version"]["active"] is False
    for hub in hubs:
        await wait_for(lambda hub=hub: _answers_with(hub, "(bộ trung tâm)"), timeout=15)
    status, body = await admin.post(f"/console/api/faq/versions/{own_id}/deactivate")
    assert status == 409 and "không được dùng" in body["error"]

    status, _ = await admin.post(f"/console/api/faq/versions/{central_id}/deactivate")
    assert status == 200
    for hub in hubs:  # every hub first: either hub's pipeline may answer the other's message
        await wait_for(lambda hub=hub: not hub.app[HUB].faq.available, timeout=15)
    for hub in hubs:
        assert "trạm y tế" not in await _answer(hub)

    status, body = await admin.post(f"/console/api/faq/versions/{own_id}/activate")  # re-activate
    assert status == 200 and body["version"]["active"] and body["overlap"]["questions"] == 0
    for hub in hubs:
        await wait_for(lambda hub=hub: _answers_with(hub, "(bộ của Sở)"), timeout=15)

    _, audit = await admin.get("/console/api/audit?object_type=faq_version")
    done = [(r["action"], r["object_id"], r["username"]) for r in audit["entries"]]
    assert ("faq.deactivate", str(own_id), "admin1") in done
    assert ("faq.deactivate", str(central_id), "admin1") in done
    assert ("faq.activate", str(own_id), "admin1") in done


async def test_officer_sees_the_versions_answering_in_the_agency_name(people: Any) -> None:
    admin = await people("admin1")
    officer = await people("yte1")  # Sở Y tế
    central = await upload(admin, CENTRAL, agency="Tổng đài")
    unrelated = await upload(admin, CENTRAL.replace("Sở Y tế", "Sở Công thương"), agency="Văn phòng")
    own = await upload(officer, OWN, activate=False)
    assert unrelated["state"] == central["state"] == own["state"] == "done"

    _, listing = await officer.get("/console/api/faq/versions")
    seen = {v["agency"]: v for v in listing["versions"]}
    assert set(seen) == {"Sở Y tế", "Tổng đài"}
    mine, theirs = seen["Sở Y tế"], seen["Tổng đài"]
    assert (mine["number"], mine["active"], mine["entries"], mine["entries_in_name"]) == (1, False, 3, 3)
    assert (theirs["number"], theirs["active"], theirs["entries"], theirs["entries_in_name"]) == (
        1,
        True,
        3,
        2,
    )
    assert (mine["uploaded_by"], theirs["uploaded_by"]) == ("yte1", "admin1")
    assert mine["editable"] and not theirs["editable"]
    assert theirs["created_at"].startswith("2027-03-02T02:00:00") and theirs["file"] == "faq.csv"

    for action in ("deactivate", "activate"):
        status, _ = await officer.post(f"/console/api/faq/versions/{theirs['id']}/{action}")
        assert status == 403
    status, _ = await officer.get(f"/console/api/faq/versions/{theirs['id']}/overlap")
    assert status == 403
    status, body = await officer.get(f"/console/api/faq/versions/{mine['id']}/overlap")
    shared = [(c["agency"], c["same"], c["near"]) for c in body["overlap"]["by_version"]]
    assert status == 200 and shared == [("Tổng đài", 1, 1), ("Văn phòng", 1, 1)]

    _, by_agency = await admin.get("/console/api/faq/versions?agency=Sở Y tế")
    assert {v["agency"] for v in by_agency["versions"]} == {"Sở Y tế", "Tổng đài"}
    assert all(v["editable"] for v in by_agency["versions"])
    operator = await people("op1")
    status, _ = await operator.post(f"/console/api/faq/versions/{theirs['id']}/deactivate")
    assert status == 403

    status, page = await officer.get("/console/faq")
    assert status == 200 and "Các phiên bản" in page and "Người tải lên" in page
    status, script = await officer.get("/console/faq/faq.js")
    assert status == 200 and "Ngừng dùng" in script and "/overlap" in script


async def test_a_refused_file_in_preview_stores_nothing(people: Any) -> None:
    officer = await people("yte1")
    broken = await upload(officer, "Mã,Câu hỏi,Trả lời\nYT1,Tiêm vắc xin ở đâu?,\n", preview=True)
    assert broken["state"] == "rejected" and "Trả lời" in broken["report"]
    status, body = await officer.post("/console/api/faq/import", data=form(OWN, name="faq.txt"))
    assert status == 400, body
    _, listing = await officer.get("/console/api/faq/versions")
    assert listing["versions"] == []


async def test_the_agency_own_version_comes_first_then_the_most_recently_activated(
    console_client: Any, console_clock: ManualClock
) -> None:
    """The order the hub gives the engine: a question held by several active versions is
    answered from the agency's own version, else from the most recently activated one."""
    hub = console_client.app[HUB]

    async def version(faq_id: str, agency: str, answer: str) -> int:
        entry = FaqEntry(faq_id, QUESTION, answer, "Y tế", "Sở Y tế")
        console_clock.advance(minutes=5)
        return (await import_version(hub.sm, hub.clock, [entry], agency, activate=True)).id

    own = await version("YT1", "Sở Y tế", "(bộ của Sở)")
    central = await version("C1", "Tổng đài", "(bộ trung tâm)")
    await version("V1", "Văn phòng", "(bộ văn phòng)")
    assert [e.id for e in await active_entries(hub.sm)] == ["YT1", "V1", "C1"]
    console_clock.advance(minutes=5)
    await activate(hub.sm, hub.clock, central)  # re-activated: now the most recent
    entries = await active_entries(hub.sm)
    assert [e.id for e in entries] == ["YT1", "C1", "V1"]
    decision = FaqEngine.build(entries, EngineConfig.lexical_only()).decide(QUESTION)
    assert decision.decision == "answer" and decision.entry is not None and decision.entry.id == "YT1"
    await deactivate(hub.sm, hub.clock, own)
    entries = await active_entries(hub.sm)
    assert [e.id for e in entries] == ["C1", "V1"]
    assert FaqEngine.build(entries, EngineConfig.lexical_only()).decide(QUESTION).faq_id == "C1"
