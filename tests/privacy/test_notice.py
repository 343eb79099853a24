"""The privacy notice (issue 18): the public page /quyen-rieng-tu/ with the settings'
figures and the public site's security headers; the short notice told once per channel
identity (a new Zalo, Facebook or e-mail contact's first message, not its next
conversation; a Zalo follow's greeting); the web chat page shows it before the first
message; the contact form's questions say why each field is asked."""

from __future__ import annotations

import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from actions.services import HotlineInfo
from actions.texts import FIELD_PROMPTS, ask_matter
from bot.app import create_app
from bot.config import Settings
from bot.greeting import privacy_notice
from bot.hub import HUB
from bot.public import HEADERS
from devtools.dovecot import DovecotServer
from devtools.facebook import FacebookSimulator
from devtools.smtp import SmtpServer, send_raw
from devtools.zalo import ZaloSimulator
from privacy.notice import PATH, PHRASES, short_notice
from privacy.request_words import data_request
from storage.models import ChannelIdentity, Conversation, Message
from storage.record.conversations import close
from tests.conftest import ROOT, settings_with, wait_for, write_credentials
from tests.connectors.email.conftest import HOTLINE, dovecot, smtp
from tests.connectors.email.test_e2e_hub import email_env, replies_to
from tests.connectors.zalo.test_e2e_hub import credentials

CITIZEN = "7063947237857451311"
FOLLOWER = "7063947237857451322"
PSID = "24968543210000018"
MAILER = "le.thi.hoa@example.vn"
__all__ = ["dovecot", "smtp"]  # the e-mail fixtures
ENV = {
    "HUB_PRIVACY_CONTROLLER": "Văn phòng UBND tỉnh Mẫu",
    "HUB_RETENTION_CONVERSATION_MONTHS": "7",
    "HUB_RETENTION_TICKET_YEARS": "9",
    "HUB_RETENTION_RECORDING_YEARS": "3",
    "HUB_RETENTION_REQUEST_YEARS": "6",
    "HUB_DATA_REQUEST_DAYS_ACK": "2",
    "HUB_DATA_REQUEST_DAYS_DELETE": "21",
}


async def test_the_public_page_states_rights_deadlines_and_retention_from_settings(
    hub_settings: Settings, aiohttp_client: Any
) -> None:
    settings = settings_with(hub_settings, env={**hub_settings.env, **ENV}, hotline_name="Tổng đài Mẫu 1022")
    client = await aiohttp_client(await create_app(settings))
    r = await client.get(PATH)
    assert r.status == 200 and r.content_type == "text/html"
    for name, value in HEADERS.items():
        assert r.headers[name] == value
    page = await r.text()
    assert "Tổng đài Mẫu 1022" in page and "Văn phòng UBND tỉnh Mẫu" in page
    assert "7 tháng" in page and "9 năm" in page and "3 năm" in page and "6 năm" in page
    assert (
        "trong 2 ngày làm việc" in page
        and "trong 21 ngày làm việc" in page
        and "trong 10 ngày làm việc" in page
    )
    for right in ("rút lại sự đồng ý", "nhận bản sao", "hạn chế xử lý", "Phản đối", "Khiếu nại"):
        assert right in page
    assert 'href="/yeu-cau-du-lieu/"' in page
    for phrase in PHRASES.values():
        assert phrase in page
    redirect = await client.get(PATH.rstrip("/"), allow_redirects=False)
    assert redirect.status == 301 and redirect.headers["Location"] == PATH

    # the defaults, and a neutral controller when the setting is missing
    client = await aiohttp_client(await create_app(hub_settings))
    page = await (await client.get(PATH)).text()
    assert "12 tháng" in page and "5 năm" in page and "2 năm" in page and "trong 20 ngày làm việc" in page
    assert "Cơ quan chủ quản của tổng đài" in page


def test_the_phrases_the_notice_offers_are_requests_the_bot_recognises() -> None:
    assert {kind: data_request(phrase) for kind, phrase in PHRASES.items()} == {k: k for k in PHRASES}
    text = short_notice("Tổng đài 1022", "https://hotline.example.vn/")
    assert text.endswith("https://hotline.example.vn/quyen-rieng-tu/")
    assert 2 <= text.count(". ") + 1 <= 4


async def _conversation_rows(hub: Any, conv_id: int) -> list[Message]:
    async with hub.sm() as s:
        query = select(Message).where(Message.conversation_id == conv_id).order_by(Message.seq)
        return list((await s.execute(query)).scalars())


async def _answered(hub: Any, user: str, n_conversations: int) -> list[Message] | None:
    async with hub.sm() as s:
        identity = (
            await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == user))
        ).scalar_one_or_none()
        if identity is None:
            return None
        convs = list(
            (
                await s.execute(
                    select(Conversation)
                    .where(Conversation.identity_id == identity.id)
                    .order_by(Conversation.id)
                )
            ).scalars()
        )
    if len(convs) < n_conversations:
        return None
    rows = await _conversation_rows(hub, convs[-1].id)
    done = any(m.direction == "in" and m.processed for m in rows)
    return rows if done and any(m.direction == "out" for m in rows) else None


async def test_a_new_contact_is_told_once_per_channel_identity_through_zalo(
    hub_settings: Settings, tmp_path: Path, aiohttp_client: Any
) -> None:
    async with ZaloSimulator() as sim:
        sim.add_user("Lê Thị Hoa", user_id=CITIZEN)
        sim.add_user("Phạm Văn Nam", user_id=FOLLOWER)
        creds = write_credentials(tmp_path / "credentials-zalo.yml", credentials(sim))
        app = await create_app(settings_with(hub_settings, credentials_file=creds))
        client = await aiohttp_client(app)
        url = str(client.make_url("/webhooks/zalo"))
        sim.webhook_url = url
        hub = app[HUB]
        notice = privacy_notice(hub.settings)
        assert "/quyen-rieng-tu/" in notice and hub.settings.public_url.rstrip("/") in notice

        # first message ever: the greeting ends with the notice, then the answer
        await sim.deliver(url, sim.user_text(CITIZEN, "Cho tôi hỏi giờ làm việc của bộ phận một cửa"))
        first = await wait_for(lambda: _answered(hub, CITIZEN, 1), timeout=30)
        bot_texts = [m.text for m in first if m.direction == "out"]
        assert sum(notice in text for text in bot_texts) == 1 and bot_texts[0].endswith(notice)
        await wait_for(lambda: sum(1 for s in sim.sent if s.user_id == CITIZEN and notice in s.text) == 1)

        # the conversation ends; the next one (same identity) is not told again
        await _close_latest(hub, first)
        await sim.deliver(url, sim.user_text(CITIZEN, "Xin chào, cho hỏi thủ tục cấp giấy khai sinh"))
        second = await wait_for(lambda: _answered(hub, CITIZEN, 2), timeout=30)
        assert second[0].conversation_id != first[0].conversation_id
        assert all(notice not in (m.text or "") for m in second)

        # a follow's greeting carries it; the follower's first message does not repeat it
        await sim.deliver(url, sim.follow(FOLLOWER))
        greeted = await wait_for(
            lambda: [s for s in sim.sent if s.user_id == FOLLOWER and s.text.endswith(notice)], timeout=20
        )
        assert len(greeted) == 1
        await sim.deliver(url, sim.user_text(FOLLOWER, "Cho tôi hỏi giờ làm việc của bộ phận một cửa"))
        rows = await wait_for(lambda: _answered(hub, FOLLOWER, 1), timeout=30)
        assert sum(notice in (m.text or "") for m in rows) == 1
    assert sum(1 for s in sim.sent if s.user_id == CITIZEN and notice in s.text) == 1


async def _close_latest(hub: Any, rows: list[Message]) -> None:
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, rows[0].conversation_id)
        assert conv is not None
        await close(s, conv, hub.clock.now(), hotline_name=hub.settings.hotline_name)


async def test_a_new_contact_is_told_once_through_facebook(
    hub_settings: Settings, aiohttp_client: Any
) -> None:
    sim = FacebookSimulator(auto_echo=True, auto_delivery=True, clock=time.time)
    await sim.start()
    try:
        settings = settings_with(
            hub_settings, credentials_file=ROOT / "credentials.yml", env={**hub_settings.env, **sim.env()}
        )
        client = await aiohttp_client(await create_app(settings))
        hub = client.app[HUB]
        sim.webhook_url = url = str(client.make_url("/webhooks/facebook"))
        assert "facebook" in hub.registry
        sim.add_user(PSID, "Hoa", "Lê Thị")
        notice = privacy_notice(hub.settings)

        def told() -> int:
            return sum(1 for m in sim.sent if m.psid == PSID and notice in str(m.message.get("text")))

        event = sim.text(PSID, "Cho tôi hỏi thủ tục đăng ký khai sinh?")
        assert (await sim.post(url, sim.delivery(sim.entry(event))))[0] == 200
        first = await wait_for(lambda: _answered(hub, PSID, 1), timeout=30)
        assert sum(notice in (m.text or "") for m in first if m.direction == "out") == 1
        await wait_for(lambda: told() == 1, timeout=20)

        await _close_latest(hub, first)
        event = sim.text(PSID, "Cho tôi hỏi giờ làm việc của bộ phận một cửa")
        assert (await sim.post(url, sim.delivery(sim.entry(event))))[0] == 200
        second = await wait_for(lambda: _answered(hub, PSID, 2), timeout=30)
        assert all(notice not in (m.text or "") for m in second)
        assert told() == 1
    finally:
        await sim.stop()


async def test_the_web_chat_shows_the_notice_before_the_first_message(
    hub_settings: Settings, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(await create_app(hub_settings))
    r = await client.get("/webchat/")
    assert r.status == 200
    page = await r.text()
    notice_at, composer_at = page.index('id="privacy-notice"'), page.index('id="composer"')
    assert notice_at < composer_at
    assert 'href="/quyen-rieng-tu/"' in page[notice_at:composer_at]
    # the opening of a chat (the greeting, before the visitor writes) carries the short notice
    session = await (await client.post("/webchat/api/session", json={})).json()
    r = await client.get(
        "/webchat/api/messages?after=0", headers={"Authorization": f"Bearer {session['session_token']}"}
    )
    (greeting,) = (await r.json())["messages"]
    assert greeting["text"].endswith(privacy_notice(hub_settings))


def test_the_contact_form_says_why_each_field_is_asked() -> None:
    assert set(FIELD_PROMPTS) == {"full_name", "phone", "address", "email"}
    for prompt in (*FIELD_PROMPTS.values(), ask_matter(HotlineInfo())):
        assert ", để " in prompt, prompt


def _mail(subject: str, message_id: str, body: str) -> bytes:
    return (
        f"From: {MAILER}\r\nTo: {HOTLINE}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@pytest.mark.dovecot
async def test_a_new_contact_is_told_once_through_email(
    dovecot: DovecotServer, smtp: SmtpServer, hub_settings: Settings, aiohttp_client: Any
) -> None:
    settings = settings_with(
        hub_settings, credentials_file=ROOT / "credentials.yml", env=email_env(dovecot, smtp)
    )
    app = await create_app(settings)
    hub = app[HUB]
    assert "email" in hub.registry, hub.registry.disabled
    await aiohttp_client(app)
    notice = privacy_notice(hub.settings)

    def bodies() -> list[str]:
        mails = [message_from_bytes(r.content, policy=default) for r in replies_to(smtp, MAILER)]
        return [m.get_body(("plain",)).get_content() for m in mails]  # type: ignore[union-attr]

    await send_raw(
        smtp,
        _mail("Hỏi giờ làm việc", "<notice-1@example.vn>", "Cho tôi hỏi giờ làm việc"),
        MAILER,
        [HOTLINE],
    )
    await wait_for(lambda: len(bodies()) >= 1, timeout=30)
    first = await wait_for(lambda: _answered(hub, MAILER, 1), timeout=30)
    assert sum(body.count(notice) for body in bodies()) == 1
    # the greeting, the notice and the answer leave as one mail (RFC 3834 allows one a day):
    # the answer used to be a second automatic reply, refused by the channel, never sent
    out = [m for m in first if m.direction == "out"]
    assert len(out) == 1 and notice in (out[0].text or "") and len(bodies()) == 1
    answer = (out[0].text or "").split("\n\n")[-1]
    assert answer.strip() and notice not in answer and answer.strip() in bodies()[0]

    await _close_latest(hub, first)
    sent_before = len(bodies())
    await send_raw(
        smtp,
        _mail("Hỏi khai sinh", "<notice-2@example.vn>", "Cho tôi hỏi thủ tục khai sinh"),
        MAILER,
        [HOTLINE],
    )
    second = await wait_for(lambda: _answered(hub, MAILER, 2), timeout=30)
    assert second[0].conversation_id != first[0].conversation_id
    assert all(notice not in (m.text or "") for m in second)
    # a new conversation is a new question: its answer goes out (the e-mail channel rations
    # automatic replies per person and conversation), without the notice told before
    await wait_for(lambda: len(bodies()) > sent_before, timeout=30)
    assert sum(body.count(notice) for body in bodies()) == 1
    assert notice not in bodies()[-1]
