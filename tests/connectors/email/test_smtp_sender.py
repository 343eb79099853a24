"""SMTP sending against a real aiosmtpd server on loopback."""

from __future__ import annotations

import ssl
import tempfile
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from connectors.base import (
    Attachment,
    OutboundMessage,
    PermanentSendError,
    SenderRole,
    TransientSendError,
)
from connectors.email import EmailConnector
from devtools.clock import FakeClock
from devtools.dovecot import make_self_signed_cert
from devtools.net import free_port
from devtools.smtp import SmtpServer

from .conftest import email_settings

CITIZEN = "nguyen.van.a@example.vn"


def received_mail(content: bytes) -> EmailMessage:
    """Parse what the server received."""
    mail = message_from_bytes(content, policy=default)
    assert isinstance(mail, EmailMessage)
    return mail


def hdr(mail: EmailMessage, name: str) -> str | None:
    """A header as text; raw UTF-8 (SMTPUTF8) headers come out of the stdlib parser as
    surrogate escapes."""
    value = mail.get(name)
    if value is None:
        return None
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8")


def reply(**overrides: Any) -> OutboundMessage:
    base: dict[str, Any] = {
        "channel": "email",
        "external_user_id": CITIZEN,
        "text": "Chào anh, thủ tục cấp phép gồm các bước sau…",
        "message_id": 42,
        "conversation_id": 7,
        "subject": "RE: Re: Hỏi về thủ tục cấp giấy phép",
        "in_reply_to": "<citizen-2@example.vn>",
        "references": ("<citizen-1@example.vn>", "<hub.7.41.x@hotline.test>", "<citizen-2@example.vn>"),
    }
    base.update(overrides)
    return OutboundMessage(**base)


@pytest.fixture
async def plain_smtp() -> Any:
    async with SmtpServer() as server:
        yield server


def connector_for(make_connector: Any, smtp: SmtpServer, **overrides: Any) -> EmailConnector:
    connector: EmailConnector = make_connector(email_settings(1, smtp.port, **overrides))
    return connector


async def test_bot_reply_is_threaded_and_marked_automatic(
    make_connector: Any, plain_smtp: SmtpServer
) -> None:
    connector = connector_for(make_connector, plain_smtp)
    result = await connector.send(reply())
    (got,) = plain_smtp.received
    assert got.mail_from == "1022@hotline.test" and got.rcpt_tos == [CITIZEN]
    mail = received_mail(got.content)
    assert hdr(mail, "Subject") == "Re: Hỏi về thủ tục cấp giấy phép"
    assert mail["In-Reply-To"] == "<citizen-2@example.vn>"
    assert mail["References"].split() == [
        "<citizen-1@example.vn>",
        "<hub.7.41.x@hotline.test>",
        "<citizen-2@example.vn>",
    ]
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert parseaddr(hdr(mail, "From") or "") == ("Tổng đài 1022", "1022@hotline.test")
    message_id = mail["Message-ID"]
    assert message_id.endswith("@hotline.test>") and message_id.startswith("<hub.7.42.")
    assert result.channel_message_ids == (message_id,)
    assert mail.get_content().strip() == "Chào anh, thủ tục cấp phép gồm các bước sau…"
    # SMTPUTF8 offered: headers travel as raw UTF-8
    assert got.smtputf8 is True and "SMTPUTF8" in got.mail_options
    assert "Hỏi về thủ tục".encode() in got.content


async def test_retry_keeps_the_message_id(make_connector: Any, plain_smtp: SmtpServer) -> None:
    connector = connector_for(make_connector, plain_smtp)
    first = await connector.send(reply())
    second = await connector.send(reply())
    other = await connector.send(reply(message_id=43, sender_role=SenderRole.OPERATOR))
    assert first.channel_message_ids == second.channel_message_ids != other.channel_message_ids


async def test_at_most_one_automatic_reply_per_sender_and_conversation_a_day(
    make_connector: Any, plain_smtp: SmtpServer
) -> None:
    clock = FakeClock(pause=0.02)  # each sleep lets the loop run; no real waiting
    connector: EmailConnector = make_connector(email_settings(1, plain_smtp.port), clock=clock)
    await connector.send(reply(message_id=1))
    await connector.send(reply(message_id=1))  # the outbox retrying the same reply
    with pytest.raises(PermanentSendError, match="24 giờ"):
        await connector.send(reply(message_id=2))
    await connector.send(reply(message_id=3, sender_role=SenderRole.OPERATOR))  # people always
    await connector.send(reply(message_id=4, conversation_id=8))  # another conversation
    clock.advance(24 * 3600 + 1)
    await connector.send(reply(message_id=5))
    assert len(plain_smtp.received) == 5


async def test_operator_reply_is_not_marked_automatic(make_connector: Any, plain_smtp: SmtpServer) -> None:
    connector = connector_for(make_connector, plain_smtp)
    await connector.send(reply(sender_role=SenderRole.OPERATOR))
    mail = received_mail(plain_smtp.received[0].content)
    assert mail["Auto-Submitted"] is None
    await connector.send(reply(sender_role=SenderRole.SYSTEM))
    assert received_mail(plain_smtp.received[1].content)["Auto-Submitted"] == "auto-replied"


async def test_new_mail_without_thread_and_with_ticket_code(
    make_connector: Any, plain_smtp: SmtpServer
) -> None:
    connector = connector_for(make_connector, plain_smtp)
    await connector.send(
        reply(
            in_reply_to=None, references=(), subject="Kết quả xử lý", meta={"ticket_code": "1022-2026-000123"}
        )
    )
    mail = received_mail(plain_smtp.received[0].content)
    assert hdr(mail, "Subject") == "[1022-2026-000123] Kết quả xử lý"
    assert mail["In-Reply-To"] is None and mail["References"] is None
    await connector.send(reply(meta={"ticket_code": "1022-2026-000123"}))
    mail = received_mail(plain_smtp.received[1].content)
    assert hdr(mail, "Subject") == "Re: [1022-2026-000123] Hỏi về thủ tục cấp giấy phép"


async def test_without_smtputf8_headers_are_rfc2047_encoded(make_connector: Any) -> None:
    async with SmtpServer(smtputf8=False) as smtp:
        connector = connector_for(make_connector, smtp)
        await connector.send(reply())
        (got,) = smtp.received
        with pytest.raises(PermanentSendError, match="SMTPUTF8"):
            await connector.send(reply(external_user_id="công.dân@ví-dụ.vn"))
    assert got.smtputf8 is False
    head = got.content.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head.lower()
    mail = received_mail(got.content)
    assert mail["Subject"] == "Re: Hỏi về thủ tục cấp giấy phép"
    assert mail.get_content().startswith("Chào anh")


async def test_attachments_and_links(make_connector: Any, plain_smtp: SmtpServer) -> None:
    connector = connector_for(make_connector, plain_smtp)
    files = (
        Attachment(kind="file", name="hướng dẫn.pdf", mime_type="application/pdf", data=b"%PDF-1.4 x"),
        Attachment(kind="link", name="Biểu mẫu", url="https://1022.example/bieu-mau"),
    )
    await connector.send(reply(attachments=files))
    mail = received_mail(plain_smtp.received[0].content)
    parts = list(mail.iter_attachments())
    assert [p.get_filename() for p in parts] == ["hướng dẫn.pdf"]
    assert parts[0].get_content() == b"%PDF-1.4 x"
    body = mail.get_body(("plain",))
    assert body is not None and "- Biểu mẫu: https://1022.example/bieu-mau" in body.get_content()


@pytest.mark.parametrize(
    ("where", "reply_text", "error"),
    [
        ("rcpt", "550 5.1.1 Không có người nhận", PermanentSendError),
        ("rcpt", "450 4.2.1 Mailbox busy", TransientSendError),
        ("data", "554 5.7.1 Rejected as spam", PermanentSendError),
        ("data", "451 4.3.0 Try again later", TransientSendError),
    ],
)
async def test_smtp_replies_become_our_errors(
    make_connector: Any, plain_smtp: SmtpServer, where: str, reply_text: str, error: type[Exception]
) -> None:
    if where == "rcpt":
        plain_smtp.rcpt_replies[CITIZEN] = reply_text
    else:
        plain_smtp.data_replies.append(reply_text)
    connector = connector_for(make_connector, plain_smtp)
    with pytest.raises(error) as info:
        await connector.send(reply())
    assert isinstance(info.value.__cause__, aiosmtplib.SMTPException)
    assert info.value.code == int(reply_text[:3])  # type: ignore[attr-defined]
    assert plain_smtp.received == []


async def test_connection_refused_is_transient(make_connector: Any) -> None:
    connector = make_connector(email_settings(1, free_port()))
    with pytest.raises(TransientSendError) as info:
        await connector.send(reply())
    assert info.value.__cause__ is not None


async def test_invalid_recipient_is_permanent_without_connecting(make_connector: Any) -> None:
    connector = make_connector(email_settings(1, free_port()))
    with pytest.raises(PermanentSendError, match="không hợp lệ"):
        await connector.send(reply(external_user_id="khong-phai-email"))
    with pytest.raises(PermanentSendError):
        await connector.send(reply(external_user_id="a@b.vn\r\nBcc: x@y.vn"))


async def test_starttls_and_auth(make_connector: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = make_self_signed_cert(Path(tmp))
        async with SmtpServer(auth=("hotline", "smtp-secret"), tls_cert=(cert, key)) as smtp:
            good = make_connector(
                email_settings(
                    1,
                    smtp.port,
                    smtp_starttls="true",
                    smtp_user="hotline",
                    smtp_password="smtp-secret",
                    smtp_ca_file=str(cert),
                )
            )
            await good.send(reply())
            assert len(smtp.received) == 1
            wrong = make_connector(
                email_settings(
                    1,
                    smtp.port,
                    smtp_starttls="true",
                    smtp_user="hotline",
                    smtp_password="wrong",
                    smtp_ca_file=str(cert),
                )
            )
            with pytest.raises(PermanentSendError, match="xác thực") as info:
                await wrong.send(reply())
            assert isinstance(info.value.__cause__, aiosmtplib.SMTPAuthenticationError)
            untrusted = make_connector(
                email_settings(1, smtp.port, smtp_starttls="true", smtp_user="hotline", smtp_password="x")
            )
            with pytest.raises(TransientSendError) as info2:  # self-signed, not trusted: no send
                await untrusted.send(reply())
            assert isinstance(info2.value.__cause__, ssl.SSLError | aiosmtplib.SMTPException | OSError)
            assert len(smtp.received) == 1
