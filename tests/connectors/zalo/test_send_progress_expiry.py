"""A multi-part send's progress (``zalo:sent:<message id>``) is kept for
:data:`connectors.base.SEND_PROGRESS_TTL`, not for ever (issue 13)."""

from __future__ import annotations

from typing import Any

from connectors.base import SEND_PROGRESS_TTL, Attachment, OutboundMessage
from connectors.zalo import ZaloConnector
from devtools.zalo import ZaloSimulator
from tests.connectors.fakestate import MemoryStateStore
from tests.connectors.zalo.conftest import USER_ID


async def test_send_progress_expires(
    store: MemoryStateStore, sim: ZaloSimulator, connector: ZaloConnector, clock: Any
) -> None:
    image = Attachment(kind="image", url="https://1022.thanhhoa.gov.vn/anh.png")
    message = OutboundMessage(
        channel="zalo",
        external_user_id=USER_ID,
        text="hai phần",
        message_id=4250,
        conversation_id=1,
        attachments=(image,),
    )
    await connector.send(message)
    assert store.expires["zalo:sent:4250"] == clock() + SEND_PROGRESS_TTL
    clock.advance(SEND_PROGRESS_TTL - 1)
    assert await store.get("zalo:sent:4250") is not None
    clock.advance(1)
    assert await store.get("zalo:sent:4250") is None
