"""Connector-level end to end: a citizen's mail travels by real SMTP into a real Dovecot
mailbox, the poller hands it over once, and the reply sent through the connector arrives
threaded at the SMTP server; the citizen's answer to that reply threads back."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest

from connectors.base import OutboundMessage, SenderRole
from connectors.email.threading import ticket_code_from_subject
from devtools.dovecot import DovecotServer, require_dovecot
from devtools.smtp import SmtpServer, send_raw
from tests.connectors.fakestate import MemoryStateStore

from .conftest import HOTLINE, Inbox, email_settings, payload, wait_until

pytestmark = pytest.mark.dovecot

CITIZEN = "nguyen.van.a@example.vn"


async def test_mail_in_reply_out_threaded(
    dovecot: DovecotServer, smtp: SmtpServer, make_connector: Any
) -> None:
    connector = make_connector(email_settings(dovecot.port, smtp.port), MemoryStateStore())
    inbox = Inbox()
    await connector.start(inbox)

    # 1. the citizen writes (their provider's MTA hands the mail to ours over SMTP)
    await send_raw(
        smtp, payload("plain.eml").replace(b"1022@thanhhoa.example", HOTLINE.encode()), CITIZEN, [HOTLINE]
    )
    (question,) = await inbox.wait_for(1)
    assert question.external_user_id == CITIZEN and not question.auto_generated
    assert question.subject == "Hỏi về thủ tục cấp giấy phép xây dựng"

    # 2. the bot answers through the connector, threaded on the citizen's Message-ID
    sent = await connector.send(
        OutboundMessage(
            channel="email",
            external_user_id=question.external_user_id,
            text="Chào anh, hồ sơ gồm đơn đề nghị và bản vẽ thiết kế.",
            message_id=101,
            conversation_id=9,
            sender_role=SenderRole.BOT,
            subject=question.subject,
            in_reply_to=question.channel_message_id,
            references=question.reply_to_ids[::-1],
            meta={"ticket_code": "1022-2026-000123"},
        )
    )
    received = [r for r in smtp.received if r.rcpt_tos == [CITIZEN]]
    assert len(received) == 1
    answer = message_from_bytes(received[0].content, policy=default)
    subject = str(answer["Subject"]).encode("utf-8", "surrogateescape").decode()
    assert subject == "Re: [1022-2026-000123] Hỏi về thủ tục cấp giấy phép xây dựng"
    assert subject.count("Re:") == 1
    assert answer["In-Reply-To"] == "<plain-001@example.vn>"
    assert answer["References"] == "<plain-001@example.vn>"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer["Message-ID"] == sent.channel_message_ids[0]
    assert sent.channel_message_ids[0].endswith("@hotline.test>")

    # 3. the citizen answers our reply: In-Reply-To points at our Message-ID, and the ticket
    #    code rides in the subject (the hub tries the ids first, then the code)
    follow_up = (
        f"From: {CITIZEN}\r\nTo: {HOTLINE}\r\nSubject: RE: {subject}\r\n"
        f"Message-ID: <follow-up@example.vn>\r\nIn-Reply-To: {sent.channel_message_ids[0]}\r\n"
        f"References: <plain-001@example.vn> {sent.channel_message_ids[0]}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nCảm ơn, cho tôi hỏi thêm về lệ phí.\r\n"
    ).encode()
    await send_raw(smtp, follow_up, CITIZEN, [HOTLINE])
    _, answer_back = await inbox.wait_for(2)
    assert answer_back.reply_to_ids == (sent.channel_message_ids[0], "<plain-001@example.vn>")
    assert ticket_code_from_subject(answer_back.subject) == "1022-2026-000123"
    assert len(inbox.messages) == 2  # nothing delivered twice


async def test_bot_reply_bouncing_back_is_never_answered(
    dovecot: DovecotServer, smtp: SmtpServer, make_connector: Any
) -> None:
    connector = make_connector(email_settings(dovecot.port, smtp.port))
    inbox = Inbox()
    await connector.start(inbox)
    bounce = payload("bounce_mailer_daemon.eml")
    await send_raw(smtp, bounce, "", [HOTLINE])  # null reverse path, as bounces travel
    out_of_office = payload("auto_submitted.eml")
    await send_raw(smtp, out_of_office, CITIZEN, [HOTLINE])
    first, second = await inbox.wait_for(2)
    assert first.auto_generated and second.auto_generated
    # the MTA wrote Return-Path: <> for the bounce
    assert first.raw["auto_generated_reason"] in {"auto-submitted", "empty-return-path"}


async def test_imaps_with_a_private_certificate(make_connector: Any) -> None:
    require_dovecot()
    with DovecotServer(users={"hotline": "hotline-secret"}, tls=True) as server:
        assert server.cert is not None
        settings = email_settings(server.ssl_port, 1, imap_ssl="true", imap_ca_file=str(server.cert))
        server.append("hotline", payload("plain.eml"))
        connector = make_connector(settings)
        inbox = Inbox()
        await connector.start(inbox)
        (msg,) = await inbox.wait_for(1)
        assert msg.channel_message_id == "<plain-001@example.vn>"
        await connector.stop()

        # without trusting the certificate the poller refuses to talk (and keeps retrying)
        untrusted = make_connector(email_settings(server.ssl_port, 1, imap_ssl="true"), rng=lambda: 0.0)
        untrusted.poller.backoff_base = 0.05
        other = Inbox()
        await untrusted.start(other)
        await wait_until(lambda: untrusted.poller.failures >= 1, what="a refused TLS handshake")
        assert other.messages == []
        assert any("CERTIFICATE" in e.upper() for e in untrusted.poller.errors)
