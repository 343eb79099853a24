# ruff: noqa: F811
"""The breach clock's notices by e-mail (issue 18): through the running hub, a real aiosmtpd
server and the e-mail channel configured through the real ``credentials.yml`` (a real Dovecot
for its mailbox), with a moved clock. The supervisor with an address gets the 48-hour and the
72-hour notices once each; the admin who turned notices off gets none."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from bot import breach_worker
from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from devtools.dovecot import DovecotServer
from devtools.smtp import SmtpServer
from storage.clock import ManualClock
from tests.conftest import ROOT
from tests.console.conftest import console_client, console_clock, people  # noqa: F401  (fixtures)
from tests.console.test_agency_mail import HOTLINE, dovecot, mails_to, smtp, subject, text_of  # noqa: F401
from tests.privacy.test_breaches import FACTS

pytestmark = pytest.mark.dovecot
SV1, ADMIN1 = "sv1@hotline.example.vn", "admin1@hotline.example.vn"


@pytest.fixture
async def console_app(
    hub_settings: Settings, console_clock: ManualClock, dovecot: DovecotServer, smtp: SmtpServer
) -> web.Application:
    env = {
        "HUB_DEADLINE_CHECK_SECONDS": "3600",
        "HUB_BREACH_CHECK_SECONDS": "3600",
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
    settings = replace(hub_settings, credentials_file=ROOT / "credentials.yml", env=env)
    app = await create_app(settings, clock=console_clock)
    assert "email" in app[HUB].registry, app[HUB].registry.disabled
    return app


async def test_the_48_and_72_hour_notices_are_mailed_once_to_who_wants_them(
    people: Any, console_app: web.Application, console_clock: ManualClock, smtp: SmtpServer
) -> None:
    hub = console_app[HUB]
    admin = await people("admin1")
    _, listing = await admin.get("/console/api/users")
    ids = {u["username"]: u["id"] for u in listing["users"]}
    assert (await admin.post(f"/console/api/users/{ids['sv1']}", {"email": SV1}))[0] == 200
    status, body = await admin.post("/console/api/me/notices", {"email": ADMIN1, "email_notices": False})
    assert status == 200, body
    status, body = await admin.post("/console/api/breaches", FACTS)
    assert status == 200, body
    breach_id = body["breach"]["id"]

    console_clock.advance(hours=47)
    assert await breach_worker.check_once(hub) == 0
    console_clock.advance(hours=1)
    assert await breach_worker.check_once(hub) == 1
    assert await breach_worker.check_once(hub) == 0
    console_clock.advance(hours=24)
    assert await breach_worker.check_once(hub) == 1
    assert await breach_worker.check_once(hub) == 0

    mails = mails_to(smtp, SV1)
    assert [subject(m) for m in mails] == [
        f"[{hub.settings.hotline_name}] Vi phạm dữ liệu cá nhân số {breach_id}: còn 24 giờ để thông báo "
        "cơ quan chuyên trách (hạn 09:00 ngày 05/03/2027, 72 giờ từ khi phát hiện)",
        f"[{hub.settings.hotline_name}] Vi phạm dữ liệu cá nhân số {breach_id}: đã quá hạn 72 giờ "
        "(hạn 09:00 ngày 05/03/2027) mà chưa thông báo cơ quan chuyên trách",
    ]
    assert f"{hub.settings.public_url}/console/" in text_of(mails[0])
    assert FACTS["summary"] not in text_of(mails[0])  # the facts stay behind the console's login
    assert mails_to(smtp, ADMIN1) == []
    assert len(smtp.received) == 2
