"""Inline attachments (e-mail parts) are written to the media folder before the message is
stored, content-addressed, and a duplicate delivery writes nothing twice."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.hub import HUB
from bot.ingest_service import store_events
from connectors.base import Attachment, EventKind, InboundMessage
from storage.media import media_keys, read_file
from storage.migrate import upgrade
from storage.models import Attachment as AttachmentRow


async def test_inline_attachment_is_stored_once_with_its_path(hub_app: Any, tmp_path: Path) -> None:
    hub = hub_app[HUB]
    await upgrade(hub.db)
    data = b"%PDF-1.4 giay to cua cong dan" * 100
    event = InboundMessage(
        channel="email",
        kind=EventKind.MESSAGE,
        external_user_id="dan@example.vn",
        channel_message_id="<a1@example.vn>",
        text="Gửi kèm giấy tờ",
        attachments=(Attachment(kind="file", name="don.pdf", mime_type="application/pdf", data=data),),
        auto_generated=True,  # keep the pipeline out of this test
    )
    try:
        first = await store_events(hub, [event])
        again = await store_events(hub, [event])
        assert again[0].duplicate and again[0].message_id == first[0].message_id
        async with hub.sm() as s:
            (row,) = (await s.execute(select(AttachmentRow))).scalars().all()
        digest = hashlib.sha256(data).hexdigest()
        assert row.name == "don.pdf" and row.size == len(data)
        assert row.stored_path is not None and Path(row.stored_path).name == digest
        keys = media_keys(hub.settings.env, hub.settings.media_dir)
        assert read_file(Path(row.stored_path), keys) == data
        assert b"%PDF" not in Path(row.stored_path).read_bytes()  # noqa: ASYNC240 - encrypted at rest
        assert Path(row.stored_path).is_relative_to(hub.settings.media_dir)
    finally:
        await hub.http.close()
        await hub.db.dispose()
