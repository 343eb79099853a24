"""The console's "Thông báo Zalo" page (issue 17) in real headless Chromium, against a hub whose
Zalo channel is the simulator on loopback: a communications officer sees only that page,
composes an announcement (live character counter against Zalo's limit, audience preview
count, schedule) and submits it; the officer cannot approve it (four eyes, in the page and
in the API); a supervisor approves it and the page shows it approved. An approved campaign
without a schedule is sent by the hub's worker through the simulator, and the page shows its
report (sent, skipped because the citizen opted out) and its recipients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from campaigns.opt_out import opt_out
from devtools.clock import FakeClock
from devtools.zalo import ZaloSimulator
from storage.clock import ManualClock
from storage.models_campaigns import Campaign
from storage.models_console import Role, User
from storage.record.ingest import identity_for
from tests.browser import browser
from tests.conftest import write_credentials
from tests.connectors.zalo.test_e2e_hub import credentials
from tests.console.conftest import T0, _password_hash
from tests.console.test_browser import WAIT, _login

pytestmark = pytest.mark.browser
SCREEN = {"width": 1366, "height": 900}
FOLLOWERS = ("7001000000000000001", "7001000000000000002", "7001000000000000003")
SIM = web.AppKey("zalo_sim", ZaloSimulator)
TEXT = "Từ 8 giờ sáng thứ Bảy, Trạm y tế phường tiêm vắc xin sởi miễn phí cho trẻ từ 1 đến 5 tuổi."


@pytest.fixture
async def console_app(
    hub_settings: Settings, console_clock: ManualClock, tmp_path: Any
) -> AsyncIterator[web.Application]:
    """The console's hub with the Zalo simulator as its Zalo OA (both on T0's clock), three
    followers known to the hub, the last of them opted out."""
    async with ZaloSimulator(clock=FakeClock(T0.timestamp())) as sim:
        for n, user_id in enumerate(FOLLOWERS):
            sim.add_user(f"Người quan tâm {n}", user_id=user_id)
        creds = write_credentials(tmp_path / "credentials-zalo.yml", credentials(sim))
        env = {"HUB_DEADLINE_CHECK_SECONDS": "3600", "HUB_CAMPAIGN_POLL_INTERVAL": "0.2"}
        settings = replace(hub_settings, env=env, credentials_file=creds)
        app = await create_app(settings, clock=console_clock)
        app[SIM] = sim
        yield app


async def _known_followers(app: web.Application) -> None:
    hub = app[HUB]
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        for user_id in FOLLOWERS:
            identity, _ = await identity_for(s, "zalo", user_id, now)
            identity.following = True
        await opt_out(s, identity.id, now)  # the last one wrote "hủy đăng ký"


async def _officer(app: web.Application, username: str = "tt1") -> None:
    hub = app[HUB]
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        s.add(
            User(
                username=username,
                full_name="Cán bộ truyền thông",
                password_hash=_password_hash(),
                role=Role.COMMUNICATIONS.value,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )


async def _compose(page: Any, title: str, *, when: str | None) -> None:
    await page.click("#campaign-new")
    await page.wait_for_selector("#campaign-form", timeout=WAIT)
    await page.fill("#cmp-title", title)
    await page.fill("#cmp-text", "x" * 1001)  # over Zalo's 1000 characters: said, and not sendable
    await page.wait_for_selector("#cmp-text-count.over:has-text('1001/1000 ký tự')", timeout=WAIT)
    assert await page.is_disabled("#cmp-submit")
    await page.fill("#cmp-text", TEXT)
    await page.wait_for_selector(f"#cmp-text-count:has-text('{len(TEXT)}/1000 ký tự')", timeout=WAIT)
    assert not await page.is_disabled("#cmp-submit")
    await page.fill("#cmp-link", "https://thanhhoa.gov.vn/tiem-chung")
    await page.fill("#cmp-link-title", "Xem lịch tiêm")
    # every follower matches; the one who opted out is skipped
    await page.wait_for_selector("#cmp-preview:has-text('Dự kiến gửi tới 2 người')", timeout=WAIT)
    assert "1 đã hủy đăng ký nhận tin" in await page.inner_text("#cmp-preview")
    await page.select_option("#cmp-audience", "interaction")  # nobody wrote to the hotline yet
    await page.wait_for_selector("#cmp-preview:has-text('Dự kiến gửi tới 0 người')", timeout=WAIT)
    await page.select_option("#cmp-audience", "all")
    await page.wait_for_selector("#cmp-preview:has-text('Dự kiến gửi tới 2 người')", timeout=WAIT)
    if when:
        await page.fill("#cmp-when", when)
    await page.click("#cmp-submit")
    await page.wait_for_selector("#campaign-status:has-text('chờ duyệt')", timeout=WAIT)


async def _open(page: Any, title: str) -> None:
    await page.click("#tabs button[data-view='campaigns']")
    await page.click(f"#campaigns-list li:has-text('{title}')", timeout=WAIT)
    await page.wait_for_selector(f"#campaign-title:has-text('{title}')", timeout=WAIT)


async def test_officer_composes_and_another_person_approves(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    await _known_followers(console_app)
    await _officer(console_app)
    base = str(console_client.make_url("")).rstrip("/")
    title = "Tiêm vắc xin sởi cho trẻ"
    async with browser() as b:
        officer = await _login(await b.new_context(viewport=SCREEN), base, "tt1")
        # the officer's console is the campaigns page only
        await officer.wait_for_selector("#view-campaigns:visible", timeout=WAIT)
        shown = await officer.eval_on_selector_all(
            "#tabs > button:not([hidden]), #tabs > a:not([hidden])",
            "els => els.map(e => e.dataset.view || e.href)",
        )
        assert shown == ["campaigns", "account"]
        await _compose(officer, title, when="2027-03-03T09:00")  # tomorrow morning
        assert await officer.locator("#cmp-approve").count() == 0
        await officer.wait_for_selector("#cmp-four-eyes", timeout=WAIT)
        assert "Lịch gửi" in await officer.inner_text("#campaign-pane")

        # the API refuses the author too
        async with console_app[HUB].sm() as s:
            cid = (await s.execute(select(Campaign.id).where(Campaign.title == title))).scalar_one()
        tt1 = await people("tt1")
        status, body = await tt1.post(f"/console/api/campaigns/{cid}/approve")
        assert status == 403 and "bốn mắt" in body["error"]

        supervisor = await _login(await b.new_context(viewport=SCREEN), base, "sv1")
        await _open(supervisor, title)
        await supervisor.wait_for_selector("#campaign-status:has-text('chờ duyệt')", timeout=WAIT)
        await supervisor.click("#cmp-approve")
        await supervisor.wait_for_selector("#campaign-status:has-text('đã duyệt')", timeout=WAIT)
        await supervisor.wait_for_selector(f"#campaigns-list li:has-text('{title}'):has-text('đã duyệt')")

        await officer.reload()
        await officer.wait_for_selector(
            f"#campaigns-list li:has-text('{title}'):has-text('đã duyệt')", timeout=WAIT
        )
    async with console_app[HUB].sm() as s:
        c = (await s.execute(select(Campaign).where(Campaign.title == title))).scalar_one()
        approver = (await s.execute(select(User.id).where(User.username == "sv1"))).scalar_one()
        assert (c.status, c.decided_by_id) == ("approved", approver)
    assert console_app[SIM].promotions == []  # scheduled for tomorrow: nothing sent yet


async def test_rejected_then_sent_with_its_report(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    await _known_followers(console_app)
    base = str(console_client.make_url("")).rstrip("/")
    title = "Lịch tiêm bổ sung"
    async with browser() as b:
        supervisor = await _login(await b.new_context(viewport=SCREEN), base, "sv1")
        await supervisor.click("#tabs button[data-view='campaigns']")
        await _compose(supervisor, title, when=None)
        admin = await _login(await b.new_context(viewport=SCREEN), base, "admin1")
        await _open(admin, title)
        await admin.click("#cmp-reject")  # without a reason: refused in Vietnamese
        await admin.wait_for_selector("#flash.bad:has-text('lý do')", timeout=WAIT)
        await admin.fill("#cmp-reject-reason", "Ghi rõ địa điểm tiêm")
        await admin.click("#cmp-reject")
        await admin.wait_for_selector("#campaign-status:has-text('bị từ chối')", timeout=WAIT)

        await _open(supervisor, title)
        assert "Ghi rõ địa điểm tiêm" in await supervisor.inner_text("#campaign-pane")
        await supervisor.click("#cmp-edit")
        await supervisor.wait_for_selector("#campaign-form", timeout=WAIT)
        assert await supervisor.input_value("#cmp-title") == title
        await supervisor.fill("#cmp-text", TEXT + " Địa điểm: Trạm y tế phường Điện Biên.")
        await supervisor.click("#cmp-submit")
        await supervisor.wait_for_selector("#campaign-status:has-text('chờ duyệt')", timeout=WAIT)

        await _open(admin, title)
        await admin.click("#cmp-approve")
        # no schedule: the worker sends it now (09:00 in Việt Nam) through the simulator
        await admin.wait_for_selector("#campaign-status:has-text('đã duyệt')", timeout=WAIT)
        for _ in range(40):
            await _open(admin, title)
            if "đã gửi xong" in await admin.inner_text("#campaign-status"):
                break
            await admin.wait_for_timeout(250)
        assert "đã gửi xong" in await admin.inner_text("#campaign-status")
        counts = await admin.inner_text("#campaign-counts")
        assert counts.split() == ["3", "2", "1", "0", "0"]  # total, sent, skipped, failed, pending
        assert "đã hủy đăng ký nhận tin: 1" in await admin.inner_text("#campaign-reasons")
        await admin.wait_for_selector(f"#recipients-rows tr:has-text('{FOLLOWERS[0]}'):has-text('đã gửi')")
        await admin.select_option("#recipient-filter", "skipped")
        sent_rows = "#recipients-rows tr:has-text('đã gửi')"
        await admin.wait_for_selector(sent_rows, state="detached", timeout=WAIT)
        await admin.wait_for_selector(
            f"#recipients-rows tr:has-text('{FOLLOWERS[2]}'):has-text('đã hủy đăng ký nhận tin')",
            timeout=WAIT,
        )
        assert await admin.locator("#recipients-rows tr").count() == 1
    sent = console_app[SIM].promotions
    assert sorted(p.user_id for p in sent) == sorted(FOLLOWERS[:2])


async def test_an_article_is_composed_with_its_target(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "sv1")
        await page.click("#tabs button[data-view='campaigns']")
        await page.click("#campaign-new")
        await page.select_option("#cmp-kind", "article")
        assert await page.is_hidden("#cmp-text") and await page.is_visible("#cmp-art-body")
        await page.fill("#cmp-title", "Cẩm nang phòng sốt xuất huyết")
        await page.fill("#cmp-art-title", "Phòng sốt xuất huyết mùa mưa")
        await page.fill("#cmp-art-description", "x" * 301)
        await page.wait_for_selector("#cmp-art-description-count.over", timeout=WAIT)
        assert await page.is_disabled("#cmp-save")
        await page.fill("#cmp-art-description", "Năm việc cần làm để phòng bệnh")
        await page.fill("#cmp-art-body", "Diệt lăng quăng, ngủ màn, …")
        await page.fill("#cmp-target-city", "4")
        await page.click("#cmp-save")
        await page.wait_for_selector("#campaign-status:has-text('bản nháp')", timeout=WAIT)
        assert "Phòng sốt xuất huyết mùa mưa" in await page.inner_text("#campaign-pane")
    async with console_app[HUB].sm() as s:
        query = select(Campaign).where(Campaign.title == "Cẩm nang phòng sốt xuất huyết")
        c = (await s.execute(query)).scalar_one()
        assert (c.kind, c.target, c.status) == ("article", {"city": "4"}, "draft")
        assert c.article is not None and c.article["body"] == "Diệt lăng quăng, ngủ màn, …"
