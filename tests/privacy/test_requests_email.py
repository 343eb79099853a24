# ruff: noqa: F811
"""The public form's e-mail verification through the real hub with the e-mail channel
(real Dovecot and aiosmtpd, SQLite and PostgreSQL): a citizen who wrote to the hotline by
e-mail asks for a copy of their data at ``/yeu-cau-du-lieu/``; the one-time code arrives by
mail; a wrong code is refused and counted; the right one records the request; an unknown
address gets the same page and no mail; the supervisor's answer arrives by mail."""

from __future__ import annotations

import re
from dataclasses import replace
from email import message_from_bytes
from email.policy import default
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from devtools.dovecot import DovecotServer
from devtools.smtp import SmtpServer, send_raw
from storage.models_privacy import DataRequest, VerificationCode
from tests.conftest import ROOT, wait_for
from tests.connectors.email.conftest import HOTLINE, dovecot, payload, smtp  # noqa: F401  (fixtures)
from tests.connectors.email.test_e2e_hub import CITIZEN, email_env, replies_to
from tests.console.conftest import PASSWORD, _password_hash

pytestmark = pytest.mark.dovecot


def _text(raw: bytes) -> str:
    mail = message_from_bytes(raw, policy=default)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def test_email_code_verifies_a_form_request(
    dovecot: DovecotServer, smtp: SmtpServer, hub_settings: Settings, aiohttp_client: Any
) -> None:
    from storage.models_console import User

    settings = replace(hub_settings, credentials_file=ROOT / "credentials.yml", env=email_env(dovecot, smtp))
    app = await create_app(settings)
    hub = app[HUB]
    assert "email" in hub.registry, hub.registry.disabled
    client = await aiohttp_client(app)
    question = payload("plain.eml").replace(b"1022@thanhhoa.example", HOTLINE.encode())
    await send_raw(smtp, question, CITIZEN, [HOTLINE])
    await wait_for(lambda: replies_to(smtp, CITIZEN), timeout=30)  # the hub knows the address now
    answered = len(replies_to(smtp, CITIZEN))
    base = str(client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:

        async def post(**data: str) -> tuple[int, str]:
            async with http.post(base + "/yeu-cau-du-lieu/", data=data) as r:
                return r.status, await r.text()

        status, page = await post(method="email", kind="copy", email="nobody@example.vn")
        assert status == 200 and "Nhập mã xác thực" in page  # the same page: no probing of addresses
        status, page = await post(method="email", kind="copy", email=CITIZEN.upper(), text="Gửi tôi bản sao")
        assert status == 200 and "Nhập mã xác thực" in page
        token = re.search(r'name="token" value="([^"]+)"', page)
        assert token is not None
        await wait_for(lambda: len(replies_to(smtp, CITIZEN)) > answered, timeout=30)
        mail = _text(replies_to(smtp, CITIZEN)[-1].content)
        code = re.search(r"\b(\d{6})\b", mail)
        assert code is not None, mail
        wrong = "000000" if code.group(1) != "000000" else "111111"
        status, page = await post(method="code", token=token.group(1), otp=wrong)
        assert status == 403 and "không đúng" in page
        async with hub.sm() as s:
            codes = list((await s.execute(select(VerificationCode))).scalars())
            assert len(codes) == 1 and codes[0].attempts == 1 and code.group(1) not in codes[0].code_hash
        status, page = await post(method="code", token=token.group(1), otp=code.group(1))
        assert status == 200 and "YCDL-" in page and "Đã tiếp nhận" in page, page
    async with hub.sm() as s, s.begin():
        req = (await s.execute(select(DataRequest))).scalar_one()
        assert req.kind == "copy" and req.verification == "email_code" and req.text == "Gửi tôi bản sao"
        assert req.email is not None and req.email.lower() == CITIZEN
        now = hub.clock.now()
        s.add(
            User(
                username="sv1",
                full_name="Giám sát",
                password_hash=_password_hash(),
                role="supervisor",
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    before = len(replies_to(smtp, CITIZEN))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(base + "/console/api/csrf") as r:
            csrf = (await r.json())["csrf"]
        async with http.post(
            base + "/console/api/login",
            json={"username": "sv1", "password": PASSWORD},
            headers={"X-CSRF-Token": csrf},
        ) as r:
            assert r.status == 200
            csrf = (await r.json())["csrf"]
        async with http.post(
            base + f"/console/api/data-requests/{req.id}/answer",
            json={"text": "Bản sao dữ liệu của anh/chị"},
            headers={"X-CSRF-Token": csrf},
        ) as r:
            body = await r.json()
            assert r.status == 200 and body["sent_message_id"], body
    await wait_for(lambda: len(replies_to(smtp, CITIZEN)) > before, timeout=30)
    assert "Bản sao dữ liệu của anh/chị" in _text(replies_to(smtp, CITIZEN)[-1].content)
