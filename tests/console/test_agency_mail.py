"""Agency notices by e-mail through the running hub, a real aiosmtpd server (and the e-mail
channel configured through the real ``credentials.yml``, with a real Dovecot for its
mailbox) and a moved clock: a forward, an approaching deadline and a passed one each reach
the agency's officers who want them, once, also when two passes run at once; an urgent
ticket is announced at once and gets the shorter deadline of HUB_URGENT_DEADLINE_HOURS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from bot.console.agency_mail import send_agency_notices
from bot.console.live import run_deadline_check
from bot.hub import HUB
from devtools.dovecot import DovecotServer, require_dovecot
from devtools.smtp import Received, SmtpServer
from storage.clock import ManualClock
from tests.conftest import ROOT
from tests.console.conftest import PASSWORD, agency_id_of, new_ticket
from tests.console.test_deadlines_app import vn

pytestmark = pytest.mark.dovecot

HOTLINE = "1022@hotline.test"
HOTLINE_NAME = "Tổng đài 1022 Xứ Thanh"
PUBLIC = "https://1022.example.vn"
YTE1, YTE2, GTVT1 = "yte1@soyte.example.vn", "yte2@soyte.example.vn", "gtvt1@sogtvt.example.vn"


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    require_dovecot()
    with DovecotServer(users={"hotline": "hotline-secret"}) as server:
        yield server


@pytest.fixture
async def smtp(dovecot: DovecotServer) -> AsyncIterator[SmtpServer]:
    async with SmtpServer(mailboxes={HOTLINE: (dovecot, "hotline")}) as server:
        yield server


@pytest.fixture
async def console_app(
    hub_settings: Settings, console_clock: ManualClock, dovecot: DovecotServer, smtp: SmtpServer
) -> web.Application:
    """The console's hub with the e-mail channel (its SMTP settings carry the notices)."""
    env = {
        "HUB_DEADLINE_CHECK_SECONDS": "3600",
        "HUB_URGENT_DEADLINE_HOURS": "4",
        "EMAIL_ADDRESS": HOTLINE,
        "EMAIL_IMAP_HOST": "127.0.0.1",
        "EMAIL_IMAP_PORT": str(dovecot.port),
        "EMAIL_IMAP_SSL": "false",
        "EMAIL_IMAP_USER": "hotline",
        "EMAIL_IMAP_PASSWORD": "hotline-secret",
        "EMAIL_SMTP_HOST": "127.0.0.1",
        "EMAIL_SMTP_PORT": str(smtp.port),
        "EMAIL_SMTP_STARTTLS": "false",
        "EMAIL_SMTP_USER": "",
        "EMAIL_SMTP_PASSWORD": "",
    }
    settings = replace(
        hub_settings,
        credentials_file=ROOT / "credentials.yml",
        env=env,
        public_url=PUBLIC,
        hotline_name=HOTLINE_NAME,
    )
    app = await create_app(settings, clock=console_clock)
    assert "email" in app[HUB].registry, app[HUB].registry.disabled
    return app


def mails_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [parse(r) for r in smtp.received if r.rcpt_tos == [address]]


def parse(received: Received) -> EmailMessage:
    mail = message_from_bytes(received.content, policy=default)
    assert isinstance(mail, EmailMessage)
    return mail


def subject(mail: EmailMessage) -> str:
    """The Subject as a mail program shows it (a long header is folded after the colon)."""
    return str(mail["Subject"]).strip()


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def _officers(people: Any, console_app: web.Application) -> None:
    """yte1 gets the notices (address set by the admin); yte2 of the same agency opted out on
    the account page; gtvt1 (another agency) has an address too."""
    admin = await people("admin1")
    _, listing = await admin.get("/console/api/users")
    ids = {u["username"]: u["id"] for u in listing["users"]}
    status, body = await admin.post(f"/console/api/users/{ids['yte1']}", {"email": YTE1})
    assert status == 200 and body["user"]["email"] == YTE1 and body["user"]["email_notices"] is True, body
    assert (await admin.post(f"/console/api/users/{ids['gtvt1']}", {"email": GTVT1}))[0] == 200
    status, body = await admin.post(
        "/console/api/users",
        {
            "username": "yte2",
            "password": PASSWORD,
            "role": "agency",
            "full_name": "Cán bộ yte2",
            "agency_id": await agency_id_of(console_app, "so-yte"),
        },
    )
    assert status == 200, body
    yte2 = await people("yte2")
    status, body = await yte2.post("/console/api/me/notices", {"email": YTE2, "email_notices": False})
    assert status == 200 and body == {"ok": True, "email": YTE2, "email_notices": False}, body


async def test_forward_approaching_overdue_mailed_once_with_a_moved_clock(
    people: Any, console_app: web.Application, console_clock: ManualClock, smtp: SmtpServer
) -> None:
    hub = console_app[HUB]
    await _officers(people, console_app)
    console_clock.set(vn(2027, 3, 5, 15, 0))  # Friday 15:00: due Monday 15:00
    op = await people("op1")
    tid, code = await new_ticket(people, op, "Hỏi về tiêm chủng của Nguyễn Văn Ba")
    status, body = await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": await agency_id_of(console_app, "so-yte")}
    )
    assert status == 200, body

    # the forward is mailed at once (not at the next scan), to yte1 only
    await smtp.wait_for(1)
    assert await send_agency_notices(hub) == 0  # already out: nothing twice
    (forwarded,) = mails_to(smtp, YTE1)
    assert subject(forwarded) == f"[{HOTLINE_NAME}] Phiếu {code}: phiếu mới chuyển tới đơn vị"
    assert forwarded["Auto-Submitted"] == "auto-generated"
    body_text = text_of(forwarded)
    assert f"{PUBLIC}/console/#ticket={tid}" in body_text
    assert "Hạn trả lời: 15:00 ngày 08/03/2027" in body_text
    assert HOTLINE_NAME in body_text
    assert "Nguyễn Văn Ba" not in body_text  # the citizen's request stays behind the login

    # Monday 14:00: one working hour left, the console's "approaching"; two workers at once
    console_clock.set(vn(2027, 3, 8, 14, 0))
    assert await run_deadline_check(hub, console_app) == 1
    assert await run_deadline_check(hub, console_app) == 0
    assert sorted(await asyncio.gather(send_agency_notices(hub), send_agency_notices(hub))) == [0, 1]
    approaching = mails_to(smtp, YTE1)[1]
    assert subject(approaching) == f"[{HOTLINE_NAME}] Phiếu {code}: sắp đến hạn trả lời"

    # Monday 15:01: overdue
    console_clock.set(vn(2027, 3, 8, 15, 1))
    assert await run_deadline_check(hub, console_app) == 3  # supervisor ×2, agency ×1
    assert await send_agency_notices(hub) == 1
    assert await send_agency_notices(hub) == 0
    overdue = mails_to(smtp, YTE1)[2]
    assert subject(overdue) == f"[{HOTLINE_NAME}] Phiếu {code}: đã quá hạn trả lời"
    assert "quá hạn" in text_of(overdue)

    assert len(mails_to(smtp, YTE1)) == 3
    assert mails_to(smtp, YTE2) == []  # opted out
    assert mails_to(smtp, GTVT1) == []  # not their agency's ticket
    assert len(smtp.received) == 3


async def test_urgent_ticket_shorter_deadline_and_told_at_once(
    people: Any, console_app: web.Application, console_clock: ManualClock, smtp: SmtpServer
) -> None:
    hub = console_app[HUB]
    await _officers(people, console_app)
    yte = await agency_id_of(console_app, "so-yte")
    op = await people("op1")

    # urgent before the forward: HUB_URGENT_DEADLINE_HOURS=4 from Tuesday 09:00 is 14:30
    tid, code = await new_ticket(people, op)
    assert (await op.post(f"/console/api/tickets/{tid}/urgent", {"urgent": True}))[0] == 200
    status, body = await op.post(f"/console/api/tickets/{tid}/forward", {"agency_id": yte})
    assert status == 200, body
    assert datetime.fromisoformat(body["ticket"]["due_at"]) == vn(2027, 3, 2, 14, 30)
    await smtp.wait_for(1)
    (first,) = mails_to(smtp, YTE1)
    assert subject(first) == f"[{HOTLINE_NAME}] KHẨN - Phiếu {code}: phiếu mới chuyển tới đơn vị"
    assert "Hạn trả lời: 14:30 ngày 02/03/2027" in text_of(first)

    # a ticket already at the agency marked urgent: a notice and a mail at once, deadline kept
    tid2, code2 = await new_ticket(people, op)
    status, body = await op.post(f"/console/api/tickets/{tid2}/forward", {"agency_id": yte})
    assert datetime.fromisoformat(body["ticket"]["due_at"]) == vn(2027, 3, 3, 9, 0)  # 8 working hours
    await smtp.wait_for(2)
    status, body = await op.post(f"/console/api/tickets/{tid2}/urgent", {"urgent": True})
    assert status == 200 and datetime.fromisoformat(body["ticket"]["due_at"]) == vn(2027, 3, 3, 9, 0)
    await smtp.wait_for(3)
    urgent_mail = mails_to(smtp, YTE1)[2]
    assert subject(urgent_mail) == f"[{HOTLINE_NAME}] KHẨN - Phiếu {code2}: phiếu được đánh dấu khẩn"
    assert (await op.post(f"/console/api/tickets/{tid2}/urgent", {"urgent": True}))[0] == 200  # no change
    assert await send_agency_notices(hub) == 0
    assert len(smtp.received) == 3

    # the officer's notices: unread ones of urgent tickets first
    tid3, _ = await new_ticket(people, op)
    assert (await op.post(f"/console/api/tickets/{tid3}/forward", {"agency_id": yte}))[0] == 200
    officer = await people("yte1")
    _, notes = await officer.get("/console/api/notifications")
    assert [(n["ticket_id"], n["kind"], n["urgent"]) for n in notes["notifications"]] == [
        (tid2, "urgent", True),
        (tid2, "forwarded", True),
        (tid, "forwarded", True),
        (tid3, "forwarded", False),
    ]
    assert "KHẨN" in notes["notifications"][2]["text"]
