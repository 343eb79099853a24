"""Plain notices from the hub to its own staff (an agency officer's "new ticket", "deadline
approaching", …) through the e-mail channel's SMTP settings: not a conversation, so no
threading and no citizen; one recipient per mail, UTF-8, marked ``Auto-Submitted:
auto-generated`` (RFC 3834) so no out-of-office answers it.

Errors are our own: :class:`~connectors.base.PermanentSendError` (5xx, a bad address) and
:class:`~connectors.base.TransientSendError` (4xx, no connection), chained ``from`` the
aiosmtplib error.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from connectors.base import PermanentSendError, SendError, TransientSendError
from connectors.email.settings import EmailSettings
from connectors.email.smtp_sender import VN_TZ, SmtpSender, _translate, flatten


def notice_message(
    settings: EmailSettings, to: str, subject: str, body: str, *, now: datetime, key: str
) -> EmailMessage:
    """The mail (pure): ``key`` names the notice and its recipient, so a retry carries the same
    Message-ID."""
    recipient = to.strip()
    if "@" not in recipient or any(c in recipient for c in "\r\n<>,;"):
        raise PermanentSendError(f"Địa chỉ e-mail người nhận không hợp lệ: {recipient!r}.")
    digest = hashlib.sha256(f"{settings.address}|{key}|{recipient}".encode()).hexdigest()[:16]
    mail = EmailMessage()
    mail["From"] = formataddr((settings.display_name, settings.address))
    mail["To"] = recipient
    mail["Subject"] = " ".join(subject.split())
    mail["Date"] = format_datetime(now.astimezone(VN_TZ))
    mail["Message-ID"] = f"<notice.{digest}@{settings.domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    mail["Content-Language"] = "vi"
    mail.set_content(body.rstrip() + "\n", charset="utf-8", cte="quoted-printable")
    return mail


async def send_notice(
    settings: EmailSettings, to: str, subject: str, body: str, *, now: datetime, key: str
) -> str:
    """Send one notice; its Message-ID."""
    mail = notice_message(settings, to, subject, body, now=now, key=key)
    recipient = str(mail["To"])
    try:
        async with SmtpSender(settings, time.time)._client() as client:  # the channel's TLS and login
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
            utf8 = client.supports_extension("smtputf8")
            if not utf8 and not recipient.isascii():
                raise PermanentSendError(
                    "Máy chủ thư không hỗ trợ SMTPUTF8 nên không gửi được tới địa chỉ có dấu."
                )
            await client.sendmail(
                settings.address,
                [recipient],
                flatten(mail, utf8=utf8),
                mail_options=["SMTPUTF8"] if utf8 else [],
            )
    except SendError:
        raise
    except aiosmtplib.SMTPException as err:
        raise _translate(err) from err
    except (OSError, TimeoutError) as err:
        raise TransientSendError(f"Không kết nối được máy chủ gửi thư: {err}") from err
    return str(mail["Message-ID"])
