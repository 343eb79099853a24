"""Mail from the hub to its own staff (an agency officer's notice "new ticket", "deadline
approaching", …; the monthly report to the supervisor): plain text and optional attachments,
sent through the e-mail channel's SMTP settings and client
(:func:`connectors.email.smtp_sender.smtp_session`). Not a conversation, so no threading and
no citizen; UTF-8, marked ``Auto-Submitted: auto-generated`` (RFC 3834) so no out-of-office
answers it. Touches no database.

Errors are our own: :class:`~connectors.base.PermanentSendError` (5xx, a bad address) and
:class:`~connectors.base.TransientSendError` (4xx, no connection), chained ``from`` the
aiosmtplib error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from connectors.base import PermanentSendError
from connectors.email.settings import EmailSettings
from connectors.email.smtp_sender import VN_TZ, check_utf8_recipients, flatten, smtp_session


@dataclass(frozen=True)
class Attachment:
    name: str
    mime_type: str  # "maintype/subtype"
    data: bytes


def _recipients(recipients: Sequence[str]) -> list[str]:
    out = [r.strip() for r in recipients]
    if not out:
        raise PermanentSendError("Thư không có người nhận.")
    for recipient in out:
        if "@" not in recipient or any(c in recipient for c in "\r\n<>,;"):
            raise PermanentSendError(f"Địa chỉ e-mail người nhận không hợp lệ: {recipient!r}.")
    return out


async def send_office_mail(
    settings: EmailSettings,
    recipients: Sequence[str],
    subject: str,
    text: str,
    *,
    now: datetime,
    attachments: Sequence[Attachment] = (),
    key: str | None = None,
) -> str:
    """Send one mail to ``recipients`` (checked before connecting); its Message-ID. With ``key``
    (naming the notice) a retry carries the same Message-ID; without it the Message-ID is new."""
    to = _recipients(recipients)
    if key is None:
        message_id = make_msgid(domain=settings.domain)
    else:
        digest = hashlib.sha256(f"{settings.address}|{key}|{','.join(to)}".encode()).hexdigest()[:16]
        message_id = f"<notice.{digest}@{settings.domain}>"
    mail = EmailMessage()
    mail["From"] = formataddr((settings.display_name, settings.address))
    mail["To"] = ", ".join(to)
    mail["Subject"] = " ".join(subject.split())
    mail["Date"] = format_datetime(now.astimezone(VN_TZ))
    mail["Message-ID"] = message_id
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    mail["Content-Language"] = "vi"
    mail.set_content(text.rstrip() + "\n", charset="utf-8", cte="quoted-printable")
    for a in attachments:
        main, _, sub = a.mime_type.partition("/")
        mail.add_attachment(a.data, maintype=main, subtype=sub or "octet-stream", filename=a.name)
    async with smtp_session(settings) as client:
        utf8 = client.supports_extension("smtputf8")
        check_utf8_recipients(to, utf8=utf8)
        await client.sendmail(
            settings.address, to, flatten(mail, utf8=utf8), mail_options=["SMTPUTF8"] if utf8 else []
        )
    return str(mail["Message-ID"])
