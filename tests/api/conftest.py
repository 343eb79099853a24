"""``/api/v1`` tests: the console's hub (manual clock, accounts of every role, seeded
agencies and domains) with the API's settings, and API tokens made as an admin makes them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from bot.app import create_app
from bot.auth import api_tokens
from bot.config import Settings
from bot.hub import HUB
from storage.clock import ManualClock
from tests.console.conftest import console_client, console_clock, people

__all__ = ["console_app", "console_client", "console_clock", "new_token", "people"]

API_ENV = {"HUB_DEADLINE_CHECK_SECONDS": "3600", "HUB_API_RATE_LIMIT": "1000"}


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:
    return await create_app(replace(hub_settings, env=API_ENV, faq_semantic=False), clock=console_clock)


async def new_token(app: web.Application, *scopes: str, name: str = "Phản hồi Thanh Hóa") -> tuple[int, str]:
    """A token as ``python -m bot tokens add`` makes it: (id, secret)."""
    hub = app[HUB]
    async with hub.sm() as s, s.begin():
        row, secret = await api_tokens.create_token(s, name=name, scopes=scopes, now=hub.clock.now())
    return row.id, secret


def bearer(secret: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **more}


def citizen_request(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "full_name": "Lê Thị Hoa",
        "address": "Số 8 đường Trần Phú, phường Ba Đình, TP Thanh Hóa",
        "phone": "0912 345 678",
        "email": "hoa.le@example.vn",
        "content": "Đề nghị kiểm tra việc chi trả hỗ trợ cho lao động tự do tại phường Ba Đình.",
        "source_app": "Phản hồi Thanh Hóa",
        "external_ref": "PH-2027-00123",
    }
    body.update(changes)
    return body
