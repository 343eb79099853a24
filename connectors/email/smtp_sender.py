"""Outgoing mail with ``aiosmtplib``: threaded, UTF-8, RFC 3834-marked replies.

* ``Message-ID`` of our own domain (the domain of ``EMAIL_ADDRESS``), derived from the hub's
  message id: a retried send carries the same Message-ID, so receivers can deduplicate it;
* ``In-Reply-To`` / ``References`` from ``OutboundMessage.in_reply_to`` / ``references``;
* exactly one ``Re:`` in front of the subject of a reply (existing ``Re:``/``RE:``/``Fwd:``
  … stripped), the ticket code ``meta["ticket_code"]`` kept in the subject;
* suggestions (``quick_replies``) stay numbered text; a payload the text does not list is named
  in one closing line ("Trả lời thư này bằng: …", :mod:`connectors.email.choices`);
* bot and system messages carry ``Auto-Submitted: auto-replied`` (RFC 3834) and
  ``X-Auto-Response-Suppress: All`` (no out-of-office ping-pong); operator replies do not;
* headers raw UTF-8 with ``SMTPUTF8`` when the server offers it, RFC 2047 encoded otherwise;
  the body is UTF-8 (8bit with ``8BITMIME``, quoted-printable otherwise);
* errors: 4xx replies, timeouts and connection trouble → :class:`TransientSendError`,
  5xx → :class:`PermanentSendError`, chained ``from`` the aiosmtplib error.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, formataddr

import aiosmtplib

from connectors.base import (
    DeliveryStatus,
    OutboundMessage,
    PermanentSendError,
    SenderRole,
    SendError,
    SendResult,
    TransientSendError,
)
from connectors.email.choices import choices_line
from connectors.email.settings import EmailSettings
from connectors.email.threading import bracketed, reply_subject

VN_TZ = timezone(timedelta(hours=7))
MAX_REFERENCES = 20
DEFAULT_SUBJECT = "Phản hồi từ {name}"  # the From name: EMAIL_DISPLAY_NAME (the hotline's name)


def outbound_message_id(settings: EmailSettings, message: OutboundMessage) -> str:
    """Stable across retries of the same hub message; unique per mailbox."""
    digest = hashlib.sha256(
        f"{settings.address}|{message.conversation_id}|{message.message_id}".encode()
    ).hexdigest()[:12]
    return f"<hub.{message.conversation_id}.{message.message_id}.{digest}@{settings.domain}>"


def _references(message: OutboundMessage) -> list[str]:
    refs: list[str] = []
    for ref in [*message.references, *([message.in_reply_to] if message.in_reply_to else [])]:
        mid = bracketed(ref)
        if mid != "<>" and mid not in refs:
            refs.append(mid)
    # RFC 5322 §3.6.4: keep the first (thread root) and the most recent ones
    return refs if len(refs) <= MAX_REFERENCES else [refs[0], *refs[-(MAX_REFERENCES - 1) :]]


def _subject(message: OutboundMessage, name: str) -> str:
    ticket = message.meta.get("ticket_code")
    ticket_code = str(ticket) if ticket else None
    default = DEFAULT_SUBJECT.format(name=name)
    if message.in_reply_to or message.references:
        return reply_subject(message.subject, ticket_code=ticket_code, default=default)
    subject = (message.subject or default).strip()
    if ticket_code and ticket_code not in subject:
        subject = f"[{ticket_code}] {subject}"
    return subject


def _body(message: OutboundMessage) -> str:
    text = message.text.rstrip() + "\n"
    choices = choices_line(message.text, message.quick_replies)
    if choices:
        text += "\n" + choices + "\n"
    links = [a for a in message.attachments if a.data is None and a.url]
    if links:
        text += "\n" + "\n".join(f"- {a.name or 'Tệp'}: {a.url}" for a in links) + "\n"
    return text


def build_message(
    settings: EmailSettings, message: OutboundMessage, *, now: datetime, eight_bit: bool = True
) -> EmailMessage:
    """The MIME message for ``message`` (pure: no network)."""
    recipient = message.external_user_id.strip()
    if "@" not in recipient or any(c in recipient for c in "\r\n<>,;"):
        raise PermanentSendError(f"Địa chỉ e-mail người nhận không hợp lệ: {recipient!r}.")
    mail = EmailMessage()
    mail["From"] = formataddr((settings.display_name, settings.address))
    mail["To"] = recipient
    mail["Subject"] = _subject(message, settings.display_name)
    mail["Date"] = format_datetime(now.astimezone(VN_TZ))
    mail["Message-ID"] = outbound_message_id(settings, message)
    refs = _references(message)
    if message.in_reply_to:
        mail["In-Reply-To"] = bracketed(message.in_reply_to)
    if refs:
        mail["References"] = " ".join(refs)
    if message.sender_role in (SenderRole.BOT, SenderRole.SYSTEM):
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    mail["Content-Language"] = "vi"
    mail.set_content(_body(message), charset="utf-8", cte="8bit" if eight_bit else "quoted-printable")
    for att in message.attachments:
        if att.data is None:
            continue
        maintype, _, subtype = (att.mime_type or "application/octet-stream").partition("/")
        mail.add_attachment(
            att.data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=att.name or "tep-dinh-kem",
        )
    return mail


def flatten(mail: EmailMessage, *, utf8: bool) -> bytes:
    """Raw UTF-8 headers under SMTPUTF8, RFC 2047 encoded-words otherwise."""
    return mail.as_bytes(policy=SMTPUTF8 if utf8 else SMTP)


def _client(s: EmailSettings) -> aiosmtplib.SMTP:
    context = ssl.create_default_context(cafile=s.smtp_ca_file) if (s.smtp_ssl or s.smtp_starttls) else None
    return aiosmtplib.SMTP(
        hostname=s.smtp_host,
        port=s.smtp_port,
        username=s.smtp_user,
        password=s.smtp_password,
        use_tls=s.smtp_ssl,
        start_tls=False if s.smtp_ssl else s.smtp_starttls,
        tls_context=context,
        timeout=s.timeout,
    )


@asynccontextmanager
async def smtp_session(settings: EmailSettings) -> AsyncIterator[aiosmtplib.SMTP]:
    """A connected, greeted client with the channel's TLS and login. Inside it, aiosmtplib
    errors and connection trouble become our own :class:`SendError` (chained ``from``)."""
    try:
        async with _client(settings) as client:
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
            yield client
    except SendError:
        raise
    except aiosmtplib.SMTPException as err:
        raise _translate(err) from err
    except (OSError, TimeoutError) as err:
        raise TransientSendError(f"Không kết nối được máy chủ gửi thư: {err}") from err


def check_utf8_recipients(recipients: Sequence[str], *, utf8: bool) -> None:
    """A recipient with non-ASCII characters needs a server offering SMTPUTF8."""
    if not utf8 and not all(r.isascii() for r in recipients):
        raise PermanentSendError("Máy chủ thư không hỗ trợ SMTPUTF8 nên không gửi được tới địa chỉ có dấu.")


class SmtpSender:
    def __init__(self, settings: EmailSettings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock

    async def send(self, message: OutboundMessage) -> SendResult:
        now = datetime.fromtimestamp(self.clock(), tz=VN_TZ)
        build_message(self.settings, message, now=now)  # validate before connecting
        async with smtp_session(self.settings) as client:
            utf8 = client.supports_extension("smtputf8")
            eight_bit = client.supports_extension("8bitmime")
            mail = build_message(self.settings, message, now=now, eight_bit=eight_bit)
            recipient = message.external_user_id.strip()
            check_utf8_recipients([recipient], utf8=utf8)
            options = [*(["SMTPUTF8"] if utf8 else []), *(["BODY=8BITMIME"] if eight_bit else [])]
            await client.sendmail(
                self.settings.address, [recipient], flatten(mail, utf8=utf8), mail_options=options
            )
        return SendResult(channel_message_ids=(str(mail["Message-ID"]),), status=DeliveryStatus.SENT)


def _translate(err: aiosmtplib.SMTPException) -> SendError:
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in err.recipients]
        detail = "; ".join(f"{r.code} {r.message}" for r in err.recipients)
        if codes and all(code >= 500 for code in codes):
            return PermanentSendError(f"Máy chủ thư từ chối địa chỉ người nhận: {detail}", code=codes[0])
        return TransientSendError(
            f"Máy chủ thư tạm thời chưa nhận người nhận: {detail}", code=codes[0] if codes else None
        )
    if isinstance(err, aiosmtplib.SMTPResponseException):
        if err.code >= 500:
            what = (
                "xác thực tài khoản gửi thư" if isinstance(err, aiosmtplib.SMTPAuthenticationError) else "thư"
            )
            return PermanentSendError(f"Máy chủ thư từ chối {what}: {err.code} {err.message}", code=err.code)
        return TransientSendError(f"Máy chủ thư tạm thời từ chối: {err.code} {err.message}", code=err.code)
    if isinstance(err, aiosmtplib.SMTPNotSupported):
        return PermanentSendError(f"Máy chủ thư không hỗ trợ yêu cầu (kiểm tra cấu hình TLS): {err}")
    return TransientSendError(f"Lỗi kết nối máy chủ gửi thư: {err}")
