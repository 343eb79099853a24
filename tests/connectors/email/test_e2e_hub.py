"""Hub-level end to end for e-mail: the real hub app (SQLite and PostgreSQL), configured
through the real ``credentials.yml`` with exactly the ``EMAIL_*`` variables, a real Dovecot
and a real aiosmtpd. A citizen's mail goes in by SMTP, the hub answers it, the answer
arrives threaded; the citizen's answer to it lands in the same conversation; automatic mail
is stored and never answered."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from devtools.dovecot import DovecotServer
from devtools.smtp import Received, SmtpServer, send_raw
from storage.models import Message
from tests.conftest import ROOT, wait_for

from .conftest import HOTLINE, payload

pytestmark = pytest.mark.dovecot

CITIZEN = "nguyen.van.a@example.vn"


def email_env(dovecot: DovecotServer, smtp: SmtpServer) -> dict[str, str]:
    return {
        "EMAIL_ADDRESS": HOTLINE,
        "EMAIL_IMAP_HOST": "127.0.0.1",
        "EMAIL_IMAP_PORT": str(dovecot.port),
        "EMAIL_IMAP_SSL": "false",
        "EMAIL_IMAP_USER": "hotline",
        "EMAIL_IMAP_PASSWORD": "hotline-secret",
        "EMAIL_IMAP_MAILBOX": "INBOX",
        "EMAIL_SMTP_HOST": "127.0.0.1",
        "EMAIL_SMTP_PORT": str(smtp.port),
        "EMAIL_SMTP_STARTTLS": "false",
        "EMAIL_SMTP_USER": "",
        "EMAIL_SMTP_PASSWORD": "",
    }


def header(mail: Any, name: str) -> str:
    return str(mail[name]).encode("utf-8", "surrogateescape").decode("utf-8")


def replies_to(smtp: SmtpServer, rcpt: str) -> list[Received]:
    return [r for r in smtp.received if r.rcpt_tos == [rcpt]]


async def inbound(hub: Any) -> list[Message]:
    async with hub.sm() as s:
        rows = await s.execute(select(Message).where(Message.direction == "in").order_by(Message.id))
        return list(rows.scalars())


async def test_mail_answered_and_threaded_through_the_hub(
    dovecot: DovecotServer, smtp: SmtpServer, hub_settings: Settings, aiohttp_client: Any
) -> None:
    settings = replace(hub_settings, credentials_file=ROOT / "credentials.yml", env=email_env(dovecot, smtp))
    app = await create_app(settings)
    hub = app[HUB]
    assert "email" in hub.registry, hub.registry.disabled
    await aiohttp_client(app)  # runs startup: migrations, connectors (the poller), workers

    # 1. a citizen writes; the hub answers through the same channel, threaded
    question = payload("plain.eml").replace(b"1022@thanhhoa.example", HOTLINE.encode())
    await send_raw(smtp, question, CITIZEN, [HOTLINE])
    await wait_for(lambda: replies_to(smtp, CITIZEN), timeout=30)
    (answer_raw,) = replies_to(smtp, CITIZEN)
    answer = message_from_bytes(answer_raw.content, policy=default)
    assert header(answer, "Subject") == "Re: Hỏi về thủ tục cấp giấy phép xây dựng"
    assert answer["In-Reply-To"] == "<plain-001@example.vn>"
    assert "<plain-001@example.vn>" in answer["References"].split()
    assert answer["Auto-Submitted"] == "auto-replied"
    our_id = answer["Message-ID"]
    assert our_id.endswith("@hotline.test>")
    assert "Tổng đài 1022" in answer.get_content()

    # 2. the citizen answers our reply: same conversation, found by In-Reply-To
    follow_up = (
        f"From: {CITIZEN}\r\nTo: {HOTLINE}\r\nSubject: RE: Re: Hỏi về thủ tục cấp giấy phép xây dựng\r\n"
        f"Message-ID: <follow-up-1@example.vn>\r\nIn-Reply-To: {our_id}\r\n"
        f"References: <plain-001@example.vn> {our_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nCho tôi hỏi thêm về lệ phí.\r\n"
    ).encode()
    await send_raw(smtp, follow_up, CITIZEN, [HOTLINE])

    async def two_inbound() -> bool:
        return len(await inbound(hub)) >= 2

    await wait_for(two_inbound, timeout=30)
    first, second = await inbound(hub)
    assert first.channel_message_id == "<plain-001@example.vn>"
    assert second.channel_message_id == "<follow-up-1@example.vn>"
    assert second.conversation_id == first.conversation_id

    # 3. automatic mail (an out-of-office reply) is stored and never answered
    await send_raw(
        smtp, payload("auto_submitted.eml").replace(b"nguyen.van.a", b"vang.mat"), CITIZEN, [HOTLINE]
    )

    async def auto_stored() -> bool:
        return any(m.auto_generated for m in await inbound(hub))

    await wait_for(auto_stored, timeout=30)
    (auto,) = [m for m in await inbound(hub) if m.auto_generated]
    assert auto.processed is True  # nothing left for the bot to do
    async with hub.sm() as s:
        outgoing = await s.execute(
            select(Message).where(Message.conversation_id == auto.conversation_id, Message.direction == "out")
        )
        assert list(outgoing.scalars()) == []
    assert replies_to(smtp, "vang.mat@example.vn") == []


async def test_a_mail_posted_to_the_webhook_url_is_refused_and_not_stored(
    dovecot: DovecotServer, smtp: SmtpServer, hub_settings: Settings, aiohttp_client: Any
) -> None:
    """E-mail comes in by IMAP only: nothing could verify a mail posted over HTTP, so a
    forged one must not become a citizen's message."""
    settings = replace(hub_settings, credentials_file=ROOT / "credentials.yml", env=email_env(dovecot, smtp))
    app = await create_app(settings)
    hub = app[HUB]
    assert "email" in hub.registry, hub.registry.disabled
    client = await aiohttp_client(app)
    resp = await client.post("/webhooks/email", data=payload("plain.eml"))
    assert resp.status == 404
    assert "không nhận tin qua webhook" in (await resp.json())["error"]
    assert await inbound(hub) == []
