"""``python -m bot faq import FILE [--agency NAME] [--activate]``: an agency spreadsheet as a new
FAQ version in the hub's database (``HUB_DATABASE_URL``). Running hub workers switch to an
activated version within seconds: they follow the database's FAQ generation.

The spreadsheet is parsed and validated first (``faq.importer``); on any error the report is
printed, nothing is stored, and the exit status is 1. ``python -m faq import`` is an alias.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings
from bot.faq_store import ENTRY_WITHOUT_AGENCY, NO_AGENCY, import_entries_by_agency
from faq.importer import ImportRejected, parse_file
from faq.model import FaqEntry
from storage.clock import SystemClock
from storage.migrate import upgrade
from storage.session import create_engine, make_sessionmaker


class HubImportUnavailable(RuntimeError):
    """The import could not be stored in the hub (e.g. entries without an agency)."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("faq", help="bộ câu hỏi thường gặp (FAQ) trong cơ sở dữ liệu của hub")
    fsub = p.add_subparsers(dest="faq_command", required=True)
    i = fsub.add_parser("import", help="nhập một tệp bảng tính thành phiên bản mới")
    i.add_argument("file")
    i.add_argument("--agency", default=None, help="đơn vị (mặc định: cột Đơn vị của tệp)")
    i.add_argument("--activate", action="store_true", help="kích hoạt ngay phiên bản mới")
    i.set_defaults(func=cmd_import)


async def import_into_hub(
    settings: Settings, entries: Sequence[FaqEntry], agency: str | None, activate: bool
) -> str:
    """Store ``entries`` as a new FAQ version per agency and activate it if asked; returns
    a description of the versions made."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        infos = await import_entries_by_agency(
            make_sessionmaker(engine),
            SystemClock(),
            entries,
            agency,
            activate=activate,
            created_by="faq import",
        )
    except ValueError as err:
        raise HubImportUnavailable(str(err)) from err
    finally:
        await engine.dispose()
    parts = []
    for v in infos:
        d = v.diff
        change = f" (+{len(d.added)} mới, ~{len(d.changed)} sửa, -{len(d.removed)} bỏ)" if d else ""
        parts.append(f"{v.agency} #{v.number}: {v.entry_count} câu{change}")
    return "; ".join(parts)


def _progress(done: int, total: int) -> None:
    print(f"\rĐã đọc {done}/{total} dòng", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        result = parse_file(Path(args.file), on_progress=_progress, default_agency=args.agency or "")
    except ImportRejected as err:
        print(err.report.to_text())
        return 1
    print(result.report.to_text())
    try:
        version = asyncio.run(import_into_hub(settings, result.entries, args.agency, args.activate))
    except HubImportUnavailable as err:
        hint = " (tùy chọn --agency TÊN)" if str(err) in (NO_AGENCY, ENTRY_WITHOUT_AGENCY) else ""
        print(f"{err}{hint}")
        return 2
    print(f"Đã nhập phiên bản {version}" + (" và kích hoạt." if args.activate else "."))
    return 0
