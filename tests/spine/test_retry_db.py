"""retry_db: transient errors are retried within a bound; work that can wait gives up when
the worker stops (a stopping hub does not wait out an outage for a lease that expires)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from storage.record.state import retry_db


class Flaky:
    def __init__(self, fails: int, err: Exception) -> None:
        self.fails, self.err, self.calls = fails, err, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.fails:
            raise self.err
        return "ok"


async def test_a_transient_error_is_retried_until_it_passes() -> None:
    op = Flaky(2, OSError("connection refused"))
    assert await retry_db(op, within=5, what="t", first_delay=0.01) == "ok"
    assert op.calls == 3


async def test_a_permanent_error_is_not_retried() -> None:
    op = Flaky(5, IntegrityError("INSERT", {}, Exception("unique")))
    with pytest.raises(IntegrityError):
        await retry_db(op, within=5, what="t", first_delay=0.01)
    assert op.calls == 1


async def test_retries_end_at_the_deadline() -> None:
    op = Flaky(1000, OSError("down"))
    with pytest.raises(OSError):
        await retry_db(op, within=0.2, what="t", first_delay=0.01, max_delay=0.05)
    assert 2 <= op.calls < 1000


async def test_a_stopping_worker_gives_up_at_once() -> None:
    op = Flaky(1000, OSError("down"))
    with pytest.raises(OSError):
        await retry_db(op, within=60, what="t", first_delay=0.01, give_up=lambda: True)
    assert op.calls == 1
