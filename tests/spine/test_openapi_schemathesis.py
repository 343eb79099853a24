"""The web chat contract, fuzzed: schemathesis (property-based, from PyPI) generates valid
and invalid requests from ``/api/openapi.json`` and sends them to a real hub on loopback,
on SQLite and PostgreSQL (issue 10).

It fails on any 5xx, any status code or content type the spec does not describe, any
response body that does not match its schema, invalid data accepted (negative data
rejection) and valid data refused (positive data acceptance). Bounded: a fixed number of
examples per operation, a time budget and a fixed seed, so a run is reproducible; set
``HUB_TEST_SCHEMATHESIS_SEED`` to explore with another seed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from tests.conftest import settings_with, write_credentials

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)
MAX_EXAMPLES = 40  # per operation and phase
MAX_TIME = 30  # seconds for the whole run (fuzzing repeats until it is spent)
SEED = os.environ.get("HUB_TEST_SCHEMATHESIS_SEED", "1022")


# Zalo and Facebook on, so their webhooks are fuzzed too (unsigned: every delivery is
# refused before it is parsed); their APIs point at a closed loopback port, nothing leaves.
CHANNELS = """\
webchat:
  enabled: true
zalo:
  app_id: "1022"
  app_secret: fuzz-app-secret
  oa_secret_key: fuzz-oa-secret
  access_token: fuzz-access
  refresh_token: fuzz-refresh
  api_base: http://127.0.0.1:9
  oauth_base: http://127.0.0.1:9
facebook:
  app_secret: fuzz-app-secret
  verify_token: fuzz-verify
  page_access_token: fuzz-page-token
  graph_base: http://127.0.0.1:9
"""


@pytest.mark.slow
@pytest.mark.one_database  # the HTTP contract; the routes run on both databases elsewhere
async def test_schemathesis_finds_no_contract_violation(
    hub_settings: Settings, aiohttp_client: Any, tmp_path: Path
) -> None:
    creds = write_credentials(tmp_path / "credentials-fuzz.yml", CHANNELS)
    client = await aiohttp_client(await create_app(settings_with(hub_settings, credentials_file=creds)))
    assert {"zalo", "facebook"} <= {c.name for c in client.app[HUB].registry}
    r = await client.post("/webchat/api/session", json={})
    assert r.status == 200
    token = (await r.json())["session_token"]
    base = str(client.make_url("")).rstrip("/")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base}/api/openapi.json",
        "--exclude-path-regex",
        "^/api/v1/",  # the integration API, fuzzed with an API token by tests/api
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
        "--header",
        f"Authorization: Bearer {token}",
        cwd=tmp_path,  # nothing written into the repository (reports, example database)
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"},
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=MAX_TIME + 60)
    report = out.decode("utf-8", "replace")
    assert proc.returncode == 0, report[-20000:]
    assert "Missing test data" not in report, report[-5000:]  # the webhooks were reached, not 404
