"""IndexHolder: version switch and rollback under concurrent queries, never a half-built index."""

from __future__ import annotations

import asyncio
import threading

from faq.engine import EngineConfig, FaqEngine
from faq.holder import IndexHolder, NoActiveFaq
from faq.model import FaqEntry

CONFIG = EngineConfig(use_semantic=False)


def _version(tag: str, n: int = 40) -> list[FaqEntry]:
    topics = ["cách ly", "tiêm vắc xin", "xét nghiệm", "căn cước", "giấy phép lái xe", "khai tử", "hỗ trợ"]
    return [
        FaqEntry(
            f"{tag}{i}", f"Hỏi về {topics[i % len(topics)]} số {i} thế nào?", f"Đáp {tag} {i}.", agency=tag
        )
        for i in range(n)
    ]


def test_no_active_version_is_a_clear_error() -> None:
    holder = IndexHolder()
    try:
        holder.decide("xin chào")
    except NoActiveFaq as err:
        assert "Chưa có bộ câu hỏi" in str(err)
    else:
        raise AssertionError("expected NoActiveFaq")


def test_switch_and_rollback_under_concurrent_queries() -> None:
    v1, v2 = _version("A"), _version("B")
    e1, e2 = FaqEngine.build(v1, CONFIG), FaqEngine.build(v2, CONFIG)
    holder = IndexHolder(e1, "v1")
    stop = threading.Event()
    seen: set[str] = set()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                d = holder.decide("hỏi về xét nghiệm thế nào")
                tags = {c.entry.agency for c in d.candidates}
                assert len(tags) == 1, f"candidates mixed from two versions: {tags}"
                seen.update(tags)
        except BaseException as err:  # surfaced in the main thread
            errors.append(err)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(30):  # activate v2, roll back to v1, again and again; also rebuild from entries
        if i % 3 == 2:
            holder.rebuild(v2 if i % 2 else v1, f"rebuilt-{i}", CONFIG)
        else:
            holder.swap(e2 if i % 2 == 0 else e1, f"v{2 if i % 2 == 0 else 1}")
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors[0]
    assert seen == {"A", "B"}
    holder.swap(e1, "v1")  # rollback
    assert holder.version == "v1" and holder.decide("hỏi về căn cước").candidates[0].entry.agency == "A"


async def test_async_rebuild_runs_off_the_event_loop() -> None:
    holder = IndexHolder(FaqEngine.build(_version("A"), CONFIG), "v1")
    ticks = 0
    done = asyncio.Event()

    async def heartbeat() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    beat = asyncio.create_task(heartbeat())
    answers = []
    rebuild = asyncio.create_task(holder.rebuild_async(_version("B", 3000), "v2", CONFIG))
    while not rebuild.done():
        answers.append((await holder.decide_async("hỏi về khai tử")).candidates[0].entry.agency)
    await rebuild
    done.set()
    await beat
    assert ticks > 5  # the loop kept running while the index was built in a thread
    assert answers and set(answers) <= {"A", "B"} and answers[0] == "A"
    assert holder.version == "v2"
    assert (await holder.decide_async("hỏi về khai tử")).candidates[0].entry.agency == "B"


async def test_later_rebuild_wins_even_if_it_finishes_first() -> None:
    holder = IndexHolder(FaqEngine.build(_version("A"), CONFIG), "v1")
    slow = asyncio.create_task(holder.rebuild_async(_version("B", 3000), "v2", CONFIG))
    await asyncio.sleep(0)  # v2's rebuild has started
    await holder.rebuild_async(_version("C"), "v3", CONFIG)
    await slow
    assert holder.version == "v3"
    assert holder.decide("hỏi về khai tử").candidates[0].entry.agency == "C"


async def test_staged_rebuild_answers_lexically_first_then_with_the_model() -> None:
    holder = IndexHolder(FaqEngine.build(_version("A"), CONFIG), "v1")
    task = asyncio.create_task(holder.rebuild_async(_version("B", 30), "v2", EngineConfig(), staged=True))
    stages = []
    while not task.done():
        engine = holder.engine
        stages.append((holder.version, engine.config.use_semantic))
        await asyncio.sleep(0.005)
    await task
    stages.append((holder.version, holder.engine.config.use_semantic))
    assert stages[0] == ("v1", False)
    assert ("v2", False) in stages  # the lexical-only engine of v2 was live before the full one
    assert stages[-1] == ("v2", True)
