"""``/api/v1`` fuzzed by an independent client: schemathesis (from PyPI) reads
``/api/openapi.json``, generates valid and invalid requests for the tickets, answers and
FAQ operations and sends them with a real API token to a real hub on loopback, on SQLite and
PostgreSQL (issue 17).

It fails on any 5xx, any status code, content type or body the document does not describe,
invalid data accepted, valid data refused (other than a 404 for a ticket code that does not
exist) and a required header's absence accepted. Every valid ``Idempotency-Key`` is made
unique (:mod:`tests.api.schemathesis_hooks`): the fuzzer repeats small keys. Bounded: a
fixed number of examples per operation, a time budget and a fixed seed
(``HUB_TEST_SCHEMATHESIS_SEED`` explores with another). The webhooks' operations
(``/api/v1/webhooks``) are left out here: they register outbound URLs."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.auth.api_tokens import SCOPES
from bot.config import Settings
from bot.hub import HUB
from storage.models import Ticket
from tests.api.conftest import new_token

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
)
MAX_EXAMPLES = 25  # per operation and phase
MAX_TIME = 40  # seconds for the whole run
SEED = os.environ.get("HUB_TEST_SCHEMATHESIS_SEED", "1022")
OPERATIONS = "^/api/v1/(tickets|answers|faq)"
HOOKS = "tests.api.schemathesis_hooks"
ROOT = Path(__file__).resolve().parents[2]
CONFIG = """\
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "404"]
"""


@pytest.mark.slow
@pytest.mark.one_database  # the HTTP contract; the API runs on both databases in tests/api
async def test_schemathesis_finds_no_contract_violation_in_api_v1(
    hub_settings: Settings, aiohttp_client: Any, tmp_path: Path
) -> None:
    env = {"HUB_API_RATE_LIMIT": "100000", "HUB_DEADLINE_CHECK_SECONDS": "3600"}
    app = await create_app(replace(hub_settings, env=env, faq_semantic=False))
    client = await aiohttp_client(app)
    _, secret = await new_token(client.app, *(s for s in SCOPES if s != "webhooks:manage"))
    base = str(client.make_url("")).rstrip("/")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{base}/api/openapi.json",
        "--include-path-regex",
        OPERATIONS,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_TIME),
        "--seed",
        SEED,
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--generation-database",
        "none",
        "--no-color",
        cwd=tmp_path,  # nothing written into the repository
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": HOOKS,
            "PYTHONPATH": str(ROOT),
            "NO_COLOR": "1",
            "HUB_TEST_API_TOKEN": secret,  # set by the hooks on every case but one meant to lack it
        },
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=MAX_TIME + 60)
    report = out.decode("utf-8", "replace")
    assert proc.returncode == 0, report[-20000:]
    assert "4 selected" in report and "Tested: 4" in report, report[-5000:]
    assert "Schema validation mismatch" not in report, report[-5000:]
    async with client.app[HUB].sm() as s:  # valid requests got through: tickets were created
        assert (await s.execute(select(func.count()).select_from(Ticket))).scalar_one() > 10
