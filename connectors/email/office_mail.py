"""Mail from the hub to its own staff (the monthly report to the supervisor): a text and
attachments, sent through the e-mail channel's SMTP settings and client
(:class:`connectors.email.smtp_sender.SmtpSender`). Touches no database; SMTP errors become
the channel's own (``SendError``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

import aiosmtplib

from connectors.base import PermanentSendError, SendError, TransientSendError
from connectors.email.settings import EmailSettings
from connectors.email.smtp_sender import SmtpSender, flatten


@dataclass(frozen=True)
class Attachment:
    name: str
    mime_type: str  # "maintype/subtype"
    data: bytes


def build_office_mail(
    settings: EmailSettings,
    recipients: Sequence[str],
    subject: str,
    text: str,
    attachments: Sequence[Attachment],
    now: datetime,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = formataddr((settings.display_name, settings.address))
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=settings.domain)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    mail.set_content(text)
    for a in attachments:
        main, _, sub = a.mime_type.partition("/")
        mail.add_attachment(a.data, maintype=main, subtype=sub or "octet-stream", filename=a.name)
    return mail


async def send_office_mail(
    settings: EmailSettings,
    recipients: Sequence[str],
    subject: str,
    text: str,
    attachments: Sequence[Attachment],
    now: datetime,
) -> str:
    """Send one mail to ``recipients``; its Message-ID."""
    mail = build_office_mail(settings, recipients, subject, text, attachments, now)
    try:
        async with SmtpSender(settings, time.time)._client() as client:
            utf8 = client.supports_extension("smtputf8")
            await client.sendmail(
                settings.address,
                list(recipients),
                flatten(mail, utf8=utf8),
                mail_options=["SMTPUTF8"] if utf8 else [],
            )
    except aiosmtplib.SMTPException as err:
        raise _our_error(err) from err
    except (OSError, TimeoutError) as err:
        raise TransientSendError(f"Không kết nối được máy chủ gửi thư: {err}") from err
    return str(mail["Message-ID"])


def _our_error(err: aiosmtplib.SMTPException) -> SendError:
    code = getattr(err, "code", None)
    if isinstance(code, int) and code >= 500:
        return PermanentSendError(f"Máy chủ thư từ chối thư: {err}", code=code)
    return TransientSendError(f"Máy chủ thư tạm thời chưa nhận thư: {err}")
