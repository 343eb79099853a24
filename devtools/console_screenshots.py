"""Screenshots of the console for ``docs/console.md``: the operator's agent screen, the
agency officer's ticket page, the supervisor's report, an announcement waiting for the
supervisor's approval ("Thông báo Zalo") and the admin's "Tích hợp" page (an API token just
created, shown once; the webhooks' delivery log, one receiver up and one down), at 1366×768
in real headless Chromium, against a hub started as a child process on a throw-away SQLite
database with a few demonstration conversations and tickets, its Zalo OA the simulator, the
webhook receiver a small server here (all on loopback)::

    .venv/bin/python -m devtools.console_screenshots [--out docs/img]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from devtools.hub_process import ROOT, HubProcess
from devtools.net import free_port
from devtools.zalo import ZaloSimulator

WIDTH, HEIGHT = 1366, 768
PASSWORD = "mat-khau-minh-hoa-2026"
ACCOUNTS = (  # username, role, agency, full name
    ("lan.op", "operator", None, "Lê Thị Lan"),
    ("minh.yte", "agency", "so-yte", "Phạm Văn Minh"),
    ("thu.stt", "supervisor", None, "Hoàng Thị Thu"),
    ("hoa.tt", "communications", None, "Lê Thị Hoa"),
    ("an.qt", "admin", None, "Nguyễn Văn An"),
)
ANNOUNCEMENT = (
    "Từ 7 giờ sáng thứ Bảy, các trạm y tế xã, phường tiêm bù vắc xin sởi miễn phí cho trẻ từ 1 "
    "đến 5 tuổi chưa tiêm đủ 2 mũi. Phụ huynh mang theo sổ tiêm chủng của trẻ."
)
FAQ = (  # id, domain, agency, question, answer
    (
        "D1",
        "Hành chính",
        "Công an tỉnh",
        "Thủ tục đăng ký tạm trú cần những giấy tờ gì?",
        "Anh/chị mang căn cước và giấy tờ chứng minh chỗ ở hợp pháp tới công an xã, phường nơi "
        "tạm trú; có thể nộp trực tuyến trên Cổng Dịch vụ công.",
    ),
    (
        "D2",
        "Giao thông",
        "Sở Giao thông vận tải",
        "Cấp lại giấy phép lái xe bị mất cần làm gì?",
        "Anh/chị nộp đơn đề nghị cấp lại kèm căn cước tại bộ phận một cửa của Sở Giao thông vận "
        "tải hoặc trên Cổng Dịch vụ công.",
    ),
    (
        "D3",
        "Y tế",
        "Sở Y tế",
        "Tiêm vắc xin cho trẻ em ở đâu?",
        "Trẻ em được tiêm tại trạm y tế xã, phường nơi cư trú theo lịch của trạm.",
    ),
)
CITIZENS = (  # name, messages; each asks for a person, so it waits for an officer
    ("Nguyễn Thị Mai", ["Cho tôi gặp cán bộ", "Nhà tôi ở phường Điện Biên, con tôi chưa được tiêm mũi 2"]),
    ("Trần Văn Hùng", ["Tôi muốn phản ánh", "Đường vào thôn 3 xã Quảng Tâm ngập nặng, xe không đi được"]),
    ("Đỗ Minh Châu", ["Gặp cán bộ", "Tôi mất bằng lái xe, làm lại thế nào"]),
)


def _cli(env: dict[str, str], *args: str, extra: dict[str, str] | None = None) -> None:
    cmd = [sys.executable, "-m", "bot", *args]
    subprocess.run(cmd, cwd=ROOT, env={**env, **(extra or {})}, check=True, capture_output=True)


def prepare(work: Path) -> dict[str, str]:
    """A fresh database with the demonstration accounts and an active FAQ."""
    env = {
        **os.environ,
        "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'hub.sqlite3'}",
        "HUB_MEDIA_DIR": str(work / "media"),
        "HUB_ENGINE": "hub",
        "HUB_NLU": "cues",
        "HUB_FAQ_POLL_INTERVAL": "0.5",
        "HUB_WEBHOOK_POLL_SECONDS": "0.5",
    }
    _cli(env, "migrate")
    _cli(env, "users", "seed")
    for username, role, agency, name in ACCOUNTS:
        args = ["users", "add", "--role", role, "--username", username, "--full-name", name]
        _cli(env, *args, *(["--agency", agency] if agency else []), extra={"HUB_NEW_PASSWORD": PASSWORD})
    faq = work / "faq.csv"
    with faq.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("id", "domain", "agency", "question", "answer"))
        writer.writerows(FAQ)
    _cli(env, "faq", "import", str(faq), "--activate")
    return env


class Staff:
    """One console account's API session."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base, self.csrf = http, base, ""

    async def login(self, username: str) -> Staff:
        async with self.http.get(f"{self.base}/console/api/csrf") as r:
            self.csrf = (await r.json())["csrf"]
        body = await self.post("/console/api/login", {"username": username, "password": PASSWORD})
        self.csrf = body["csrf"]
        return self

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"X-CSRF-Token": self.csrf}
        async with self.http.post(self.base + path, json=body or {}, headers=headers) as r:
            data = await r.json()
            if r.status not in (200, 201):
                raise RuntimeError(f"{path}: {r.status} {data}")
            return data

    async def get(self, path: str) -> Any:
        async with self.http.get(self.base + path) as r:
            return await r.json()


async def citizen(base: str, name: str, texts: list[str]) -> int:
    """One web chat visitor's conversation; its id."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/webchat/api/session", json={}) as r:
            session = await r.json()
        auth = {"Authorization": f"Bearer {session['session_token']}"}
        for text in texts:
            body = {"client_id": str(uuid.uuid4()), "text": text}
            async with http.post(f"{base}/webchat/api/messages", json=body, headers=auth) as r:
                r.raise_for_status()
            await asyncio.sleep(1.0)  # the bot's turn, as a person would wait for it
    return int(session["conversation_id"])


async def webhooks(base: str, up: str) -> None:
    """Two of the province's apps subscribed to every ticket event before the tickets are
    made: ``up`` answers, the other's address has nobody listening."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = await Staff(http, base).login("an.qt")
        down = f"http://127.0.0.1:{free_port()}/hub1022"
        for name, url in (("Phản hồi Thanh Hóa", up), ("Smart Thanh Hóa", down)):
            await admin.post("/console/api/webhooks", {"name": name, "url": url})
        token = {"name": "Cổng thông tin tỉnh", "scopes": ["answers:read", "faq:read"]}
        await admin.post("/console/api/integrations/tokens", token)


async def stage(base: str, receiver: str) -> dict[str, Any]:
    """Conversations waiting and held, a forwarded ticket: what the screenshots show."""
    await webhooks(base, receiver)
    convs = [await citizen(base, name, texts) for name, texts in CITIZENS]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        op = await Staff(http, base).login("lan.op")
        for conv_id, (name, _) in zip(convs, CITIZENS, strict=True):
            detail = await op.get(f"/console/api/conversations/{conv_id}")
            await op.post(f"/console/api/contacts/{detail['contact']['id']}", {"full_name": name})
        held = convs[0]
        await op.post(f"/console/api/conversations/{held}/take")
        await op.post(
            f"/console/api/conversations/{held}/reply",
            {"text": "Chào chị Mai, tôi là Lan, cán bộ tổng đài. Chị cho biết cháu sinh năm nào ạ?"},
        )
        await op.post(
            f"/console/api/conversations/{held}/note", {"text": "Đã gọi lại số máy bàn, không ai nghe."}
        )
        domains = (await op.get("/console/api/domains"))["domains"]
        health = next(d for d in domains if d.get("code") == "y-te")
        made = await op.post(
            f"/console/api/conversations/{held}/tickets",
            {
                "content": "Con chưa được tiêm mũi 2 vắc xin sởi, đề nghị hướng dẫn lịch tiêm bù.",
                "full_name": "Nguyễn Thị Mai",
                "phone": "0912345678",
                "address": "Phường Điện Biên",
                "domain_id": health["id"],
            },
        )
        ticket = made["ticket"]
        await op.post(
            f"/console/api/tickets/{ticket['id']}/forward",
            {"agency_id": health["agency_id"], "note": "Đề nghị Sở Y tế hướng dẫn lịch tiêm bù"},
        )
    return {"held": held, "ticket": ticket, "campaign": await announcement(base)}


async def announcement(base: str) -> dict[str, Any]:
    """The OA's followers read from the simulator; an announcement the communications officer
    composed and submitted (sent once approved, within the allowed hours)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        supervisor = await Staff(http, base).login("thu.stt")
        await supervisor.post("/console/api/campaigns/followers/resync", {"channel": "zalo"})
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        officer = await Staff(http, base).login("hoa.tt")
        made = await officer.post(
            "/console/api/campaigns",
            {
                "channel": "zalo",
                "title": "Tiêm bù vắc xin sởi cho trẻ",
                "text": ANNOUNCEMENT,
                "link_url": "https://thanhhoa.gov.vn/",
                "link_title": "Xem địa điểm tiêm",
                "audience": {"kind": "all"},
            },
        )
        submitted = await officer.post(f"/console/api/campaigns/{made['campaign']['id']}/submit")
    campaign: dict[str, Any] = submitted["campaign"]
    return campaign


async def shoot(base: str, out: Path, staged: dict[str, Any]) -> list[Path]:
    from playwright.async_api import async_playwright

    chromium = os.environ.get("HUB_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    shots: list[Path] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )

        async def login(username: str) -> Any:
            context = await browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="vi-VN")
            page = await context.new_page()
            await page.goto(f"{base}/console/login")
            await page.fill("#username", username)
            await page.fill("#password", PASSWORD)
            await page.click("#login-submit")
            await page.wait_for_selector("#live:text('●')", timeout=20000)
            return page

        op = await login("lan.op")
        await op.click(f"#mine-list li.queue-item[data-id='{staged['held']}']")
        await op.wait_for_selector("#reply-send:not([disabled])")
        await op.click("#reply-text")
        await op.keyboard.type("/tiem vac xin")
        await op.wait_for_selector("#suggest li.suggest-item", timeout=20000)
        shots.append(out / "console-operator.png")
        await op.screenshot(path=str(shots[-1]))

        officer = await login("minh.yte")
        await officer.click(f"#tickets-list li.ticket-item:has-text('{staged['ticket']['code']}')")
        await officer.wait_for_selector(f"#ticket-code:has-text('{staged['ticket']['code']}')")
        shots.append(out / "console-agency.png")
        await officer.screenshot(path=str(shots[-1]))

        supervisor = await login("thu.stt")
        await supervisor.click("#tabs button[data-view='report']")
        await supervisor.wait_for_selector("#report-rows tr")
        shots.append(out / "console-supervisor.png")
        await supervisor.screenshot(path=str(shots[-1]))
        await supervisor.click("#tabs button[data-view='campaigns']")
        await supervisor.click(f"#campaigns-list li[data-id='{staged['campaign']['id']}']")
        await supervisor.wait_for_selector("#cmp-approve")
        shots.append(out / "console-campaigns.png")
        await supervisor.screenshot(path=str(shots[-1]))
        shots += await integrations(await login("an.qt"), out)
        await browser.close()
    return shots


async def integrations(admin: Any, out: Path) -> list[Path]:
    """The admin creates a token (shown once), then the delivery log."""
    await admin.click("#tabs button[data-view='integrations']")
    await admin.fill("#token-name", "Phản hồi Thanh Hóa")
    for scope in ("tickets:create", "tickets:read"):
        await admin.check(f"#token-scopes input[value='{scope}']")
    await admin.click("#token-create")
    await admin.wait_for_selector("#token-secret:visible")
    await admin.screenshot(path=str(out / "console-integrations.png"))
    await admin.click("#deliveries-refresh")
    await admin.wait_for_selector("#deliveries-rows tr.wh-row-delivered", timeout=20000)
    await admin.eval_on_selector("#webhooks-table", "e => e.scrollIntoView()")
    await admin.screenshot(path=str(out / "console-webhooks.png"))
    return [out / "console-integrations.png", out / "console-webhooks.png"]


async def receiver() -> web.AppRunner:
    """An app's webhook endpoint on loopback that accepts every delivery."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hub1022", accept)
    runner = web.AppRunner(app)
    await runner.setup()
    return runner


async def run(out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="console-shots-") as tmp:
        work = Path(tmp)
        async with ZaloSimulator() as sim:  # the OA the announcements go to
            sim.add_followers(240)
            env = {**prepare(work), **sim.env()}
            hub = HubProcess(env, work / "hub.log").start(timeout=180)
            sim.webhook_url = f"{hub.url}/webhooks/zalo"
            app = await receiver()
            port = free_port()
            await web.TCPSite(app, "127.0.0.1", port).start()
            try:
                staged = await stage(hub.url, f"http://127.0.0.1:{port}/hub1022")
                return await shoot(hub.url, out, staged)
            finally:
                hub.stop()
                await app.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(run(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
