"""Fixtures for the e-mail connector tests: a real Dovecot, a real aiosmtpd, a connector.

Tests marked ``dovecot`` need ``/usr/sbin/dovecot`` (Debian ``dovecot-imapd``); without it
they are skipped locally and FAIL under ``CI=true`` (see devtools/dovecot.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.base import InboundMessage
from connectors.email import EmailConnector, create
from connectors.registry import ConnectorContext
from devtools.clock import FakeClock
from devtools.dovecot import DovecotServer, require_dovecot
from devtools.smtp import SmtpServer
from tests.connectors.fakestate import MemoryStateStore

PAYLOADS = Path(__file__).parent / "payloads"
HOTLINE = "1022@hotline.test"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


class Inbox:
    """The hub's ``deliver`` callback, recording every batch."""

    def __init__(self, fail_times: int = 0) -> None:
        self.batches: list[list[InboundMessage]] = []
        self.fail_times = fail_times
        self.calls = 0
        self._changed = asyncio.Event()

    async def __call__(self, batch: Sequence[InboundMessage]) -> None:
        self.calls += 1
        if self.calls <= self.fail_times:
            raise RuntimeError("database unavailable")
        self.batches.append(list(batch))
        self._changed.set()

    @property
    def messages(self) -> list[InboundMessage]:
        return [m for batch in self.batches for m in batch]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[InboundMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.messages) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{len(self.messages)} of {count} messages delivered in {timeout}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass
        return self.messages


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    require_dovecot()
    with DovecotServer(users={"hotline": "hotline-secret"}) as server:
        yield server


@pytest.fixture
def dovecot_no_idle() -> Iterator[DovecotServer]:
    require_dovecot()
    with DovecotServer(users={"hotline": "hotline-secret"}, idle=False) as server:
        yield server


@pytest.fixture
async def smtp(dovecot: DovecotServer) -> AsyncIterator[SmtpServer]:
    async with SmtpServer(mailboxes={HOTLINE: (dovecot, "hotline")}) as server:
        yield server


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def email_settings(imap_port: int, smtp_port: int, **overrides: Any) -> dict[str, Any]:
    """The ``email`` section as the hub passes it: strings, as after ${VAR} expansion."""
    base: dict[str, Any] = {
        "address": HOTLINE,
        "imap_host": "127.0.0.1",
        "imap_port": str(imap_port),
        "imap_ssl": "false",
        "imap_user": "hotline",
        "imap_password": "hotline-secret",
        "imap_mailbox": "INBOX",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(smtp_port),
        "smtp_starttls": "false",
        "smtp_user": "",
        "smtp_password": "",
        "lock_ttl": "600",
        "lock_retry": "0.2",
        "timeout": "5",
    }
    base.update({k: str(v) for k, v in overrides.items()})
    return base


@pytest.fixture
async def make_connector(
    http_session: aiohttp.ClientSession,
) -> AsyncIterator[Callable[..., EmailConnector]]:
    """Build connectors (several may share one state store, like hub workers); all are
    stopped at the end of the test."""
    made: list[EmailConnector] = []

    def factory(
        settings: dict[str, Any],
        state: MemoryStateStore | None = None,
        clock: FakeClock | None = None,
        **kwargs: Any,
    ) -> EmailConnector:
        ctx = ConnectorContext(
            session=http_session,
            state=state if state is not None else MemoryStateStore(),
            settings=settings,
            clock=clock or time.time,
        )
        connector = create(ctx)
        if clock is not None or kwargs:
            sleep = clock.sleep if clock is not None else asyncio.sleep
            connector = EmailConnector(connector.settings, ctx, sleep=sleep, **kwargs)
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        await connector.stop()
