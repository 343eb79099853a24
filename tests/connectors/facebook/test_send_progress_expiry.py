"""The parts of a multi-part send already accepted (``facebook:sent:<message id>:<part>``)
are kept for :data:`connectors.base.SEND_PROGRESS_TTL`, not for ever (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import SEND_PROGRESS_TTL, OutboundMessage
from connectors.facebook import FacebookConnector
from devtools.facebook import FacebookSimulator
from tests.connectors.facebook.conftest import PSID
from tests.connectors.fakestate import MemoryStateStore


async def test_send_progress_expires(
    connector: FacebookConnector, sim: FacebookSimulator, state: MemoryStateStore, clock: Any
) -> None:
    sim.text(PSID, "Cho tôi hỏi về hộ tịch")  # the citizen writes: the messaging window is open
    message = OutboundMessage(
        channel="facebook",
        external_user_id=PSID,
        text=" ".join(["đoạn"] * 1000),  # 4,999 characters: three parts, the first two remembered
        message_id=31,
        conversation_id=1,
        last_inbound_at=datetime.fromtimestamp(clock(), UTC),
    )
    await connector.send(message)
    assert sorted(state.expires) == ["facebook:sent:31:0", "facebook:sent:31:1"]
    assert set(state.expires.values()) == {clock() + SEND_PROGRESS_TTL}
    clock.advance(SEND_PROGRESS_TTL - 1)
    assert await state.get("facebook:sent:31:0") is not None
    clock.advance(1)
    assert [await state.get(k) for k in ("facebook:sent:31:0", "facebook:sent:31:1")] == [None, None]
