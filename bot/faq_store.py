"""FAQ versions in the hub's database, and the per-worker index that follows them.

* ``import_version`` stores a validated spreadsheet as a new version of one agency and
  (optionally) activates it — all in one transaction: a file is never half-imported.
* ``activate`` makes a version the agency's active one (rollback = activating an older one)
  and bumps the generation; ``deactivate`` takes a version out of service (its agency then
  has none active) and bumps it too.
* ``active_entries`` lists the active set in order of preference: the engine answers a
  question held by two active versions from the entry listed first (``faq.engine``).
* :class:`FaqIndex` keeps this worker's :class:`faq.holder.IndexHolder` on the active set:
  it polls the generation (one tiny query) and rebuilds off the event loop, swapping
  atomically — no citizen message is answered from a half-built index, and every worker
  switches within ``poll_interval`` seconds without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from bot.lifecycle import Stopper
from faq.engine import EngineConfig
from faq.holder import IndexHolder
from faq.model import FaqEntry
from faq.overlap import OverlapReport, VersionEntry, find_overlaps, question_key
from faq.versions import FaqDiff, diff
from storage.clock import Clock, as_utc
from storage.models_faq import FaqEntryRow, FaqGeneration, FaqVersion
from storage.session import SessionMaker

log = logging.getLogger(__name__)

# neutral texts (the console shows them too); bot/faq_cli.py adds its --agency hint
NO_AGENCY = "Cần chỉ rõ đơn vị của bộ câu hỏi: hãy chọn đơn vị"
ENTRY_WITHOUT_AGENCY = "Có câu hỏi không ghi đơn vị: hãy thêm cột Đơn vị hoặc chọn đơn vị"

# While the full index (with the embedding model) builds, a lexical index serves: it may
# offer numbered suggestions but never answers on its own — a wrong answer from a
# government hotline is misinformation, a suggestion is not.
INTERIM = dataclasses.replace(EngineConfig.lexical_only(), answer_threshold=float("inf"))


@dataclass(frozen=True)
class VersionInfo:
    id: int
    agency: str
    number: int
    active: bool
    entry_count: int
    diff: FaqDiff | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    activated_at: datetime | None = None
    source_name: str | None = None
    in_name: int | None = None  # entries answering in the listed agency's name


def _info(v: FaqVersion, in_name: int | None = None) -> VersionInfo:
    return VersionInfo(
        *(v.id, v.agency, v.number, v.active, v.entry_count),
        created_by=v.created_by,
        created_at=as_utc(v.created_at),
        activated_at=as_utc(v.activated_at),
        source_name=v.source_name,
        in_name=in_name,
    )


def _row(entry: FaqEntry, version_id: int) -> FaqEntryRow:
    return FaqEntryRow(
        version_id=version_id,
        faq_id=entry.id,
        question=entry.question,
        answer=entry.answer,
        domain=entry.domain,
        agency=entry.agency,
        alternatives=list(entry.alternatives) or None,
        keywords=list(entry.keywords) or None,
    )


def _entry(row: FaqEntryRow) -> FaqEntry:
    return FaqEntry(
        id=row.faq_id,
        question=row.question,
        answer=row.answer,
        domain=row.domain,
        agency=row.agency,
        alternatives=tuple(row.alternatives or ()),
        keywords=tuple(row.keywords or ()),
    )


async def version_entries(sm: SessionMaker, version_id: int) -> list[FaqEntry]:
    async with sm() as s:
        rows = (await s.execute(select(FaqEntryRow).where(FaqEntryRow.version_id == version_id))).scalars()
        return [_entry(r) for r in rows]


async def active_version(sm: SessionMaker, agency: str) -> FaqVersion | None:
    async with sm() as s:
        return (
            await s.execute(
                select(FaqVersion).where(FaqVersion.agency == agency, FaqVersion.active.is_(True))
            )
        ).scalar_one_or_none()


async def _active_rows(sm: SessionMaker, but: str | None = None) -> list[tuple[FaqEntryRow, FaqVersion]]:
    stmt = (
        select(FaqEntryRow, FaqVersion)
        .join(FaqVersion, FaqVersion.id == FaqEntryRow.version_id)
        .where(FaqVersion.active.is_(True))
        .order_by(FaqVersion.agency, FaqEntryRow.id)
    )
    if but is not None:
        stmt = stmt.where(FaqVersion.agency != but)
    async with sm() as s:
        return [(r, v) for r, v in (await s.execute(stmt)).all()]


async def active_entries(sm: SessionMaker) -> list[FaqEntry]:
    """The active set, preferred entries first: the agency's own version (the entry's agency
    column names the version's agency), then the most recently activated version."""
    rows = await _active_rows(sm)
    keys = {n: question_key(n) for r, v in rows for n in (r.agency, v.agency)}

    def preference(rv: tuple[FaqEntryRow, FaqVersion]) -> tuple[bool, float, int, int]:
        r, v = rv
        when = as_utc(v.activated_at or v.created_at)
        return (keys[r.agency] != keys[v.agency], -when.timestamp() if when else 0.0, -v.id, r.id)

    return [_entry(r) for r, _ in sorted(rows, key=preference)]


async def overlap_with_others(sm: SessionMaker, entries: Sequence[FaqEntry], agency: str) -> OverlapReport:
    """Questions of ``entries`` (a version of ``agency``) that other agencies' active
    versions hold too, the same or nearly (``faq.overlap``)."""
    others = [
        VersionEntry(_entry(r), v.agency, v.number, v.id) for r, v in await _active_rows(sm, but=agency)
    ]
    return await asyncio.to_thread(find_overlaps, entries, others)


async def generation(sm: SessionMaker) -> int:
    async with sm() as s:
        value = (
            await s.execute(select(FaqGeneration.generation).where(FaqGeneration.id == 1))
        ).scalar_one_or_none()
        return int(value or 0)


async def _bump(session: Any, clock: Clock) -> None:
    row = await session.get(FaqGeneration, 1, with_for_update=True)
    if row is None:
        session.add(FaqGeneration(id=1, generation=1, updated_at=clock.now()))
    else:
        row.generation += 1
        row.updated_at = clock.now()


async def import_version(
    sm: SessionMaker,
    clock: Clock,
    entries: Sequence[FaqEntry],
    agency: str,
    *,
    activate: bool = False,
    source_name: str | None = None,
    created_by: str | None = None,
) -> VersionInfo:
    """Store ``entries`` as the next version of ``agency`` in one transaction."""
    if not agency:
        raise ValueError(NO_AGENCY)
    current = await active_version(sm, agency)
    old = await version_entries(sm, current.id) if current else []
    changes = diff(old, entries)
    now = clock.now()
    async with sm() as s, s.begin():
        number = (
            await s.execute(
                select(func.coalesce(func.max(FaqVersion.number), 0)).where(FaqVersion.agency == agency)
            )
        ).scalar_one() + 1
        version = FaqVersion(
            agency=agency,
            number=number,
            active=False,
            entry_count=len(entries),
            source_name=source_name,
            created_by=created_by,
            diff_summary={
                "added": len(changes.added),
                "changed": len(changes.changed),
                "removed": len(changes.removed),
                "against": current.number if current else None,
            },
            created_at=now,
        )
        s.add(version)
        await s.flush()
        s.add_all(_row(e, version.id) for e in entries)
        if activate:
            await _activate(s, version, clock)
    return dataclasses.replace(_info(version), diff=changes)


async def _activate(session: Any, version: FaqVersion, clock: Clock) -> None:
    await session.execute(
        update(FaqVersion)
        .where(FaqVersion.agency == version.agency, FaqVersion.id != version.id)
        .values(active=False)
    )
    version.active = True
    version.activated_at = clock.now()
    await _bump(session, clock)


# called inside the transaction of a change with its session and the version (an audit record)
OnChange = Callable[[Any, FaqVersion], object]


async def activate(
    sm: SessionMaker, clock: Clock, version_id: int, on_change: OnChange | None = None
) -> VersionInfo:
    """Make a version its agency's active one (also how a rollback is done)."""
    async with sm() as s, s.begin():
        version = await s.get(FaqVersion, version_id, with_for_update=True)
        if version is None:
            raise LookupError(f"Không có phiên bản {version_id}")
        await _activate(s, version, clock)
        if on_change is not None:
            on_change(s, version)
        return _info(version)


class NotActive(ValueError):
    """The version is not in service: there is nothing to deactivate."""


async def deactivate(
    sm: SessionMaker, clock: Clock, version_id: int, on_change: OnChange | None = None
) -> VersionInfo:
    """Take a version out of service at once: every hub worker follows the generation and
    rebuilds its index without it (its agency has no active version until one is activated)."""
    async with sm() as s, s.begin():
        version = await s.get(FaqVersion, version_id, with_for_update=True)
        if version is None:
            raise LookupError(f"Không có phiên bản {version_id}")
        if not version.active:
            raise NotActive(f"Phiên bản {version.number} của {version.agency} đang không được dùng")
        version.active = False
        await _bump(s, clock)
        if on_change is not None:
            on_change(s, version)
        return _info(version)


async def _in_name(s: Any, agency: str) -> dict[int, int]:
    """Version id -> how many of its entries answer in ``agency``'s name (its agency column)."""
    key = question_key(agency)
    rows = await s.execute(
        select(FaqEntryRow.version_id, FaqEntryRow.agency, func.count()).group_by(
            FaqEntryRow.version_id, FaqEntryRow.agency
        )
    )
    counts: dict[int, int] = {}
    for version_id, name, n in rows.all():
        if question_key(name) == key:
            counts[version_id] = counts.get(version_id, 0) + int(n)
    return counts


async def versions(sm: SessionMaker, agency: str | None = None) -> list[VersionInfo]:
    """Every version (newest first per agency); with ``agency``: its own versions and every
    other version holding entries in its name (an admin's upload answering for it)."""
    async with sm() as s:
        stmt = select(FaqVersion).order_by(FaqVersion.agency, FaqVersion.number.desc())
        rows = list((await s.execute(stmt)).scalars())
        if not agency:
            return [_info(v) for v in rows]
        named = await _in_name(s, agency)
        return [_info(v, named.get(v.id, 0)) for v in rows if v.agency == agency or v.id in named]


async def diff_with_active(sm: SessionMaker, version_id: int) -> FaqDiff:
    async with sm() as s:
        version = await s.get(FaqVersion, version_id)
        if version is None:
            raise LookupError(f"Không có phiên bản {version_id}")
    current = await active_version(sm, version.agency)
    old = await version_entries(sm, current.id) if current else []
    return diff(old, await version_entries(sm, version_id))


class FaqIndex:
    """This worker's FAQ index, kept on the database's active set."""

    def __init__(
        self,
        sm: SessionMaker,
        *,
        config: EngineConfig | None = None,
        poll_interval: float = 2.0,
        staged: bool = True,
    ) -> None:
        self.sm = sm
        self.holder = IndexHolder()
        self.config = config
        self.quick = dataclasses.replace(INTERIM, lexicon_path=getattr(config, "lexicon_path", None))
        self.poll_interval = poll_interval
        self.staged = staged
        self.generation = -1
        self.stopper = Stopper()
        self.ready = asyncio.Event()
        self._refreshing = asyncio.Lock()

    @property
    def available(self) -> bool:
        return self.holder.version is not None

    async def refresh(self) -> bool:
        """Rebuild when the active set changed; True if a new index was installed. When no
        version is active any more, the worker has no FAQ (``available`` is False)."""
        async with self._refreshing:
            gen = await generation(self.sm)
            if gen == self.generation:
                return False
            entries = await active_entries(self.sm)
            if entries:
                await self.holder.rebuild_async(
                    entries, f"g{gen}", config=self.config, staged=self.staged, quick_config=self.quick
                )
            else:
                self.holder = IndexHolder()
            log.info("FAQ index: thế hệ %s, %s câu hỏi", gen, len(entries))
            self.generation = gen
            self.ready.set()
            return True

    async def run(self) -> None:
        while not self.stopper.stopping:
            try:
                await self.refresh()
            except Exception:
                log.exception("FAQ index refresh failed; keeping the current index")
            await self.stopper.sleep(self.poll_interval)

    def stop(self) -> None:
        self.stopper.stop()


async def wait_ready(index: FaqIndex, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(index.ready.wait(), timeout)


async def import_entries_by_agency(
    sm: SessionMaker,
    clock: Clock,
    entries: Sequence[FaqEntry],
    agency: str | None,
    *,
    activate: bool,
    source_name: str | None = None,
    created_by: str | None = None,
) -> list[VersionInfo]:
    """One new version per agency: ``agency`` for all entries when given (an agency officer
    uploads only for their own), else grouped by each entry's agency column."""
    groups: dict[str, list[FaqEntry]] = {}
    for e in entries:
        groups.setdefault(agency or e.agency, []).append(e)
    if "" in groups:
        raise ValueError(ENTRY_WITHOUT_AGENCY)
    return [
        await import_version(
            sm, clock, group, name, activate=activate, source_name=source_name, created_by=created_by
        )
        for name, group in sorted(groups.items())
    ]
