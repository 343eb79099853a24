"""``python -m bot users …`` as a real process on a real database; the account logs in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from storage.clock import ManualClock
from tests.console.conftest import Browserless

ROOT = Path(__file__).resolve().parents[2]


def _cli(
    database_url: str, *args: str, password: str | None = "mat-khau-quan-tri-1"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATABASE_URL": database_url}
    env.pop("HUB_NEW_PASSWORD", None)
    if password is not None:
        env["HUB_NEW_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "bot", "users", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_first_admin_from_the_cli_then_login(
    database_url: str, hub_settings: Settings, aiohttp_client: Any
) -> None:
    done = _cli(
        database_url, "add", "--role", "admin", "--username", "QuanTri", "--full-name", "Quản trị viên"
    )
    assert done.returncode == 0, done.stderr
    assert "quantri" in done.stdout
    bad = _cli(database_url, "add", "--role", "agency", "--username", "yte9")
    assert bad.returncode == 2 and "đơn vị" in bad.stderr
    weak = _cli(database_url, "add", "--role", "operator", "--username", "op9", password="ngan")
    assert weak.returncode == 2 and "10 ký tự" in weak.stderr
    dup = _cli(database_url, "add", "--role", "admin", "--username", "quantri")
    assert dup.returncode == 2 and "đã tồn tại" in dup.stderr
    ok = _cli(database_url, "add", "--role", "agency", "--username", "yte9", "--agency", "so-yte")
    assert ok.returncode == 0, ok.stderr
    listed = _cli(database_url, "list", password=None)
    assert "quantri\tadmin" in listed.stdout and "yte9\tagency\tso-yte" in listed.stdout

    app: web.Application = await create_app(hub_settings, clock=ManualClock())
    client = await aiohttp_client(app)
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = Browserless(http, str(client.make_url("")).rstrip("/"))
        status, body = await admin.login("quantri", "mat-khau-quan-tri-1")
        assert status == 200 and body["user"]["role"] == "admin"
        # admins create accounts in the console too
        status, body = await admin.post(
            "/console/api/users",
            {
                "username": "tongdai2",
                "password": "mat-khau-so-hai-2",
                "role": "operator",
                "full_name": "Trực ca 2",
            },
        )
        assert status == 200, body
        status, body = await admin.post(
            "/console/api/users", {"username": "tongdai3", "password": "ngan", "role": "operator"}
        )
        assert status == 400 and "10 ký tự" in body["error"]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        op = Browserless(http, str(client.make_url("")).rstrip("/"))
        assert (await op.login("tongdai2", "mat-khau-so-hai-2"))[0] == 200
