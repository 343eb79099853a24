"""Legal holds through the console (``bot/console/legal_holds_api.py``): a supervisor places
and releases a hold, both audited; bad input gets a Vietnamese error; an operator may not."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from privacy.legal_hold import held_ids
from storage.clock import ManualClock
from tests.console.conftest import citizen_waiting, console_client, console_clock, people

__all__ = ["console_client", "console_clock", "people"]


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:
    settings = replace(hub_settings, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"})
    return await create_app(settings, clock=console_clock)


async def test_place_list_release(console_app: web.Application, people: Any) -> None:
    op, sv = await people("op1"), await people("sv1")
    conv = await citizen_waiting(people, op)
    status, body = await op.post(
        "/console/api/legal-holds", {"object_kind": "conversation", "object_id": conv, "reason": "x"}
    )
    assert status == 403, body
    for bad, code, words in (
        ({"object_kind": "conversation", "object_id": conv, "reason": "  "}, 400, "lý do"),
        ({"object_kind": "file", "object_id": conv, "reason": "thanh tra"}, 400, "Loại đối tượng"),
        ({"object_kind": "ticket", "object_id": 999999, "reason": "thanh tra"}, 404, "Không tìm thấy phiếu"),
    ):
        status, body = await sv.post("/console/api/legal-holds", bad)
        assert status == code and words in body["error"], body
    status, body = await sv.post(
        "/console/api/legal-holds",
        {"object_kind": "conversation", "object_id": conv, "reason": "Khiếu nại số 5"},
    )
    assert status == 200, body
    hold = body["hold"]
    assert hold["set_by"] == "sv1" and hold["released_at"] is None
    async with console_app[HUB].sm() as s:
        assert await held_ids(s, "conversation") == {conv}
    status, body = await sv.get("/console/api/legal-holds")
    assert status == 200 and [h["id"] for h in body["holds"]] == [hold["id"]]
    status, body = await sv.post(f"/console/api/legal-holds/{hold['id']}/release")
    assert status == 200 and body["hold"]["released_by"] == "sv1", body
    assert (await sv.post(f"/console/api/legal-holds/{hold['id']}/release"))[0] == 409
    assert (await sv.post("/console/api/legal-holds/987654/release"))[0] == 404
    assert (await sv.get("/console/api/legal-holds"))[1]["holds"] == []
    assert len((await sv.get("/console/api/legal-holds?all=1"))[1]["holds"]) == 1
    async with console_app[HUB].sm() as s:
        assert await held_ids(s, "conversation") == set()
    _, audit = await sv.get("/console/api/audit")
    assert {"legal_hold_place", "legal_hold_release"} <= {e["action"] for e in audit["entries"]}
