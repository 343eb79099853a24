"""Fixtures shared by the spine tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.spine.db_outage import DbOutage


@pytest.fixture
async def outage(database_url: str) -> AsyncIterator[DbOutage]:
    """A real, short database outage the test can start and end (``DbOutage``); the hub
    connects to ``outage.url``."""
    o = await DbOutage(database_url).start()
    yield o
    await o.close()
