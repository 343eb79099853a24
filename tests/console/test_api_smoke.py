from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import wait_for, webchat_session
from tests.console.conftest import agency_id_of


async def test_smoke(people: Any, console_app: Any, console_client: Any) -> None:
    op = await people("op1")
    status, body = await op.get("/console/api/me")
    assert status == 200 and body["user"]["role"] == "operator"
    citizen = await people()
    sess = await webchat_session(citizen.http, citizen.base)
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": "Cho tôi gặp cán bộ"},
        headers={"Authorization": f"Bearer {sess['session_token']}"},
    ) as r:
        assert r.status == 200

    async def queued() -> Any:
        _, q = await op.get("/console/api/queue")
        return q["waiting"]

    waiting = await wait_for(queued)
    conv_id = waiting[0]["id"]
    assert (await op.post(f"/console/api/conversations/{conv_id}/take"))[0] == 200
    status, body = await op.post(f"/console/api/conversations/{conv_id}/reply", {"text": "Chào anh"})
    assert status == 200, body
    status, body = await op.post(f"/console/api/conversations/{conv_id}/tickets", {"content": "Hỏi hỗ trợ"})
    assert status == 200, body
    tid = body["ticket"]["id"]
    ag = await agency_id_of(console_app, "so-yte")
    status, body = await op.post(f"/console/api/tickets/{tid}/forward", {"agency_id": ag, "note": "x"})
    assert status == 200, body
    gt = await people("gtvt1")
    assert (await gt.get(f"/console/api/tickets/{tid}"))[0] == 403
    yt = await people("yte1")
    status, body = await yt.get(f"/console/api/tickets/{tid}")
    assert status == 200, body
    print(body)
