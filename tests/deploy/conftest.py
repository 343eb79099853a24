"""Fixtures of the deployment tests: nginx (required under CI) and fresh PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from devtools.net import free_port
from devtools.nginx_site import LoopbackSite, nginx_binary, prepare, self_signed_cert
from tests.conftest import _pg_dsn, _pg_exec


def require_nginx() -> str:
    """The nginx binary; skipped when absent, but FAILED under CI (never hide a missing one)."""
    binary = nginx_binary()
    if binary is None:
        message = "nginx is not installed (apt-get install nginx-light; make system-packages)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " — required under CI", pytrace=False)
        pytest.skip(message)
    return binary


@pytest.fixture
def nginx_prefix(tmp_path: Path) -> Path:
    require_nginx()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    return prefix


def loopback_site(prefix: Path, upstreams: list[int]) -> LoopbackSite:
    """A loopback site on free ports with a fresh self-signed certificate, written to ``prefix``."""
    cert, key = self_signed_cert(prefix / "tls")
    site = LoopbackSite(
        upstreams=upstreams,
        http_port=free_port(),
        https_port=free_port(),
        certificate=cert,
        certificate_key=key,
        acme_root=prefix / "acme",
    )
    prepare(prefix, site)
    return site


PgDatabase = Callable[[], Awaitable[str]]


@pytest.fixture
async def pg_database() -> AsyncIterator[PgDatabase]:
    """Makes fresh, empty PostgreSQL databases (asyncpg URLs), all dropped after the test."""
    made: list[str] = []

    async def make() -> str:
        name = f"hubtest_{uuid.uuid4().hex[:12]}"
        await _pg_exec(f'CREATE DATABASE "{name}"')
        made.append(name)
        return _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://")

    yield make
    for name in made:
        await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
