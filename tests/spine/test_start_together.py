"""Hub processes starting together on an empty database (``serve --workers N``, or web and
worker units started at once) seed it once: the agencies and the ``HUB_FAQ_PATH`` FAQ."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.faq_seed import seed_if_empty
from handoff.seed import load_seed, seed
from storage.clock import SystemClock
from storage.models_console import Agency
from storage.models_faq import FaqVersion
from storage.session import SEED_LOCK, SessionMaker, one_at_a_time

FAQ = """id,domain,agency,question,answer
A1,Hộ tịch,Sở Tư pháp,Đăng ký khai sinh cần giấy tờ gì?,Tờ khai và giấy chứng sinh.
A2,Cư trú,Công an tỉnh,Đăng ký thường trú ở đâu?,Tại Công an cấp xã.
A3,Cư trú,Công an tỉnh,Tạm trú bao lâu thì phải đăng ký?,Từ 30 ngày trở lên.
"""


async def test_the_agencies_are_seeded_once(sm: SessionMaker) -> None:
    data = load_seed({})

    async def start() -> bool:
        async with sm() as s, s.begin():
            await one_at_a_time(s, SEED_LOCK)
            return await seed(s, data, datetime.now(UTC))

    done = await asyncio.gather(*(start() for _ in range(4)))
    assert sorted(done) == [False, False, False, True]
    async with sm() as s:
        codes = Counter((await s.execute(select(Agency.code))).scalars())
    assert codes and set(codes.values()) == {1}


async def test_the_faq_file_is_imported_once(sm: SessionMaker, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(FAQ, encoding="utf-8")
    results = await asyncio.gather(*(seed_if_empty(sm, SystemClock(), path) for _ in range(3)))
    assert sorted(len(r) for r in results) == [0, 0, 2]  # two agencies, by one process
    async with sm() as s:
        versions = list((await s.execute(select(FaqVersion))).scalars())
    assert Counter(v.agency for v in versions) == {"Sở Tư pháp": 1, "Công an tỉnh": 1}
    assert all(v.active for v in versions)
