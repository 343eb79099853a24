"""Command line: ``python -m faq eval|validate`` (no database); ``import`` is an alias of
``python -m bot faq import``, which stores a version in the hub's database."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy / the embedding engine load
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from faq.engine import FaqEngine
from faq.evaluate import format_table, metrics_by_kind, predict, read_queries, write_jsonl
from faq.importer import ImportRejected, load_entries, parse_file
from faq.validate import ValidationReport


def _progress(done: int, total: int) -> None:
    print(f"\rĐã đọc {done}/{total} dòng", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def _warn(report: ValidationReport) -> None:
    print("Cảnh báo (bỏ qua khi chấm):\n" + report.to_text(), file=sys.stderr)


def cmd_eval(args: argparse.Namespace) -> int:
    entries = load_entries(Path(args.faq), strict=False, warn=_warn)
    engine = FaqEngine.build(entries)
    queries, has_expected = read_queries(Path(args.queries))
    decisions = predict(engine, queries)
    write_jsonl(Path(args.out), queries, decisions)
    print(f"{len(entries)} câu hỏi, {len(queries)} truy vấn -> {args.out}")
    if has_expected:
        print(format_table(metrics_by_kind(queries, decisions)))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        result = parse_file(Path(args.file), on_progress=_progress)
    except ImportRejected as err:
        print(err.report.to_text())
        return 1
    print(result.report.to_text())
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Alias of ``python -m bot faq import``: storing a version is the hub's work, and this
    package imports nothing of the hub (docs/architecture.md)."""
    argv = [sys.executable, "-m", "bot", "faq", "import", args.file]
    argv += ["--agency", args.agency] if args.agency else []
    argv += ["--activate"] if args.activate else []
    sys.stdout.flush()
    os.execv(sys.executable, argv)
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m faq", description="Bộ câu hỏi thường gặp (FAQ)")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("eval", help="chấm bộ truy vấn với một bộ câu hỏi")
    e.add_argument("--faq", required=True, help="tệp bảng tính hoặc thư mục")
    e.add_argument("--queries", required=True, help="CSV có cột query (và expected_id, kind)")
    e.add_argument("--out", required=True, help="tệp JSONL kết quả")
    e.set_defaults(func=cmd_eval)
    v = sub.add_parser("validate", help="kiểm tra một tệp bảng tính")
    v.add_argument("file")
    v.set_defaults(func=cmd_validate)
    i = sub.add_parser("import", help="nhập một tệp bảng tính vào hub (= python -m bot faq import)")
    i.add_argument("file")
    i.add_argument("--agency", default=None)
    i.add_argument("--activate", action="store_true")
    i.set_defaults(func=cmd_import)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ImportRejected as err:
        print(err.report.to_text())
        return 1


if __name__ == "__main__":
    sys.exit(main())
