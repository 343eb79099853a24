"""Tokens are made by an admin, on the command line (``python -m bot tokens``) or in the
console; shown once, stored hashed, revocable; and the token printed works."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.hub import HUB
from storage.models_integrations import ApiToken
from tests.api.conftest import bearer, citizen_request

Client = TestClient[Any, Any]
TOKENS = "/console/api/integrations/tokens"


async def _cli(database_url: str, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "tokens",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "HUB_DATABASE_URL": database_url, "HUB_LOG_LEVEL": "WARNING"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_cli_prints_a_token_that_works_once_created(
    console_app: web.Application, console_client: Client, database_url: str
) -> None:
    code, out, err = await _cli(
        database_url,
        "add",
        "--name",
        "Phản hồi Thanh Hóa",
        "--scope",
        "tickets:create",
        "--scope",
        "tickets:read",
    )
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("h1022_") and len(secret) > 40
    assert "chỉ được hiển thị một lần" in err
    async with console_app[HUB].sm() as s:
        row = (await s.execute(select(ApiToken))).scalar_one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.prefix, row.token_hash, row.name)
    assert row.scopes == ["tickets:create", "tickets:read"] and row.created_by == "cli"

    r = await console_client.post(
        "/api/v1/tickets", json=citizen_request(), headers=bearer(secret, **{"Idempotency-Key": "cli-1"})
    )
    assert r.status == 201, await r.text()
    ticket = (await r.json())["ticket"]["code"]
    assert (await console_client.get(f"/api/v1/tickets/{ticket}", headers=bearer(secret))).status == 200
    assert (await console_client.get("/api/v1/faq?q=abc", headers=bearer(secret))).status == 403

    code, out, _ = await _cli(database_url, "list")
    assert code == 0 and "Phản hồi Thanh Hóa" in out and row.prefix in out and secret not in out
    code, out, _ = await _cli(database_url, "revoke", str(row.id))
    assert code == 0, out
    r = await console_client.get(f"/api/v1/tickets/{ticket}", headers=bearer(secret))
    assert r.status == 401

    code, _, err = await _cli(database_url, "revoke", "999")
    assert code == 2 and "Không có mã truy cập" in err
    code, _, err = await _cli(database_url, "add", "--name", "   ", "--scope", "faq:read")
    assert code == 2 and "Cần tên" in err


async def test_an_admin_makes_and_revokes_tokens_in_the_console(
    console_app: web.Application, console_client: Client, people: Any
) -> None:
    admin = await people("admin1")
    status, body = await admin.post(
        "/console/api/integrations/tokens",
        {"name": "Smart Thanh Hóa", "scopes": ["faq:read", "answers:read"]},
    )
    assert status == 201, body
    secret = body["token"]
    assert (await console_client.get("/api/v1/faq?q=vac+xin", headers=bearer(secret))).status == 200
    status, listed = await admin.get(TOKENS)
    assert status == 200
    [item] = listed["tokens"]
    assert item["name"] == "Smart Thanh Hóa" and item["created_by"] == "admin1"
    assert item["last_used_at"] is not None and secret not in str(listed)
    status, body = await admin.post(
        "/console/api/integrations/tokens", {"name": "X", "scopes": ["tickets:delete"]}
    )
    assert status == 400 and "Phạm vi không hợp lệ" in body["error"]

    operator = await people("op1")
    status, _ = await operator.get(TOKENS)
    assert status == 403
    status, _ = await operator.post(f"{TOKENS}/{item['id']}/revoke", {})
    assert status == 403
    assert (await console_client.get("/api/v1/faq?q=abc", headers=bearer(secret))).status == 200

    status, body = await admin.post(f"{TOKENS}/{item['id']}/revoke", {})
    assert status == 200
    r = await console_client.get("/api/v1/faq?q=abc", headers=bearer(secret))
    assert r.status == 401 and (await r.json())["error"]["code"] == "token_revoked"
