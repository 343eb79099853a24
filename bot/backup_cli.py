"""Back up and restore the hub's database: ``python -m bot.backup_cli backup|restore``.

* PostgreSQL: ``pg_dump -Fc`` (custom format: compressed, restorable table by table) and
  ``pg_restore --single-transaction --exit-on-error`` into an EMPTY database, so a restore
  never mixes with live rows.
* SQLite (small sites): SQLite's online backup API (:meth:`sqlite3.Connection.backup`) in
  one step, a consistent snapshot taken while the hub keeps writing (WAL: the writer is not
  blocked); a restore writes a new file and refuses to overwrite one.

The database is ``HUB_DATABASE_URL`` (or ``--database``). Attachments (``HUB_MEDIA_DIR``)
are files: ``deploy/backup.sh`` archives them next to the dump. docs/deploy.md, "Backups".
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings


class BackupError(RuntimeError):
    """A backup or restore that did not happen (Vietnamese message, for the operator)."""


@dataclass(frozen=True)
class PgTarget:
    """A PostgreSQL database as libpq tools take it: a URL without password, and the
    password in the environment (not on the command line, where ``ps`` shows it)."""

    url: str
    env: dict[str, str]


def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def pg_target(database_url: str) -> PgTarget:
    u = make_url(database_url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return PgTarget(plain.render_as_string(hide_password=False), env)


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError(f"không phải tệp SQLite: {database_url}")
    return Path(database)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"không tìm thấy {name} (Debian: apt-get install postgresql-client)")
    return found


def _run(cmd: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} thất bại (mã {result.returncode}): {result.stderr.strip()}")
    return result.stdout


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_backup(database_url: str, out: Path) -> Path:
    """``pg_dump -Fc`` of the database into ``out``; checked by listing it with pg_restore."""
    target = pg_target(database_url)
    partial = out.with_name(out.name + ".partial")
    _run(
        [_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-f", str(partial), target.url], target.env
    )
    _run([_tool("pg_restore"), "--list", str(partial)], target.env)
    partial.replace(out)  # a dump cut off half-way never carries the final name
    return out


def pg_is_empty(database_url: str) -> bool:
    target = pg_target(database_url)
    sql = "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    out = _run([_tool("psql"), "-XAtq", "-c", sql, target.url], target.env)
    return out.strip() == "0"


def pg_restore(archive: Path, database_url: str) -> None:
    """Restore ``archive`` into an empty database, all or nothing."""
    if not archive.is_file():
        raise BackupError(f"không có tệp sao lưu {archive}")
    if not pg_is_empty(database_url):
        raise BackupError("cơ sở dữ liệu đích đã có bảng: hãy khôi phục vào một cơ sở dữ liệu trống")
    target = pg_target(database_url)
    cmd = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _run([*cmd, "-d", target.url, str(archive)], target.env)


# --- SQLite ----------------------------------------------------------------------------------


def _integrity(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()
    conn.close()
    if result is None or result[0] != "ok":
        raise BackupError(f"{path}: kiểm tra toàn vẹn thất bại: {result}")


def sqlite_copy(source: Path, dest: Path) -> Path:
    """SQLite's online backup of ``source`` into the new file ``dest`` in one step (one
    consistent snapshot), then an integrity check of the copy."""
    if not source.is_file():
        raise BackupError(f"không có cơ sở dữ liệu SQLite {source}")
    if dest.exists():
        raise BackupError(f"{dest} đã tồn tại: không ghi đè")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # pages=-1: every page in one step, under one read transaction
    finally:
        dst.close()
        src.close()
    _integrity(partial)
    partial.replace(dest)
    return dest


# --- the commands ----------------------------------------------------------------------------


def backup(database_url: str, out: Path) -> Path:
    """Back up the database named by ``database_url`` into the file ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if is_postgres(database_url):
        return pg_backup(database_url, out)
    return sqlite_copy(sqlite_path(database_url), out)


def restore(archive: Path, database_url: str) -> None:
    """Restore ``archive`` (made by :func:`backup`) into the EMPTY database ``database_url``."""
    if is_postgres(database_url):
        pg_restore(archive, database_url)
    else:
        sqlite_copy(archive, sqlite_path(database_url))


def _backup_cmd(args: argparse.Namespace, settings: Settings) -> int:
    out = backup(args.database or settings.database_url, Path(args.out))
    print(f"Đã sao lưu vào {out} ({out.stat().st_size} byte).")
    return 0


def _restore_cmd(args: argparse.Namespace, settings: Settings) -> int:
    restore(Path(args.archive), args.database or settings.database_url)
    print("Đã khôi phục. Chạy `python -m bot migrate` nếu bản sao lưu cũ hơn mã nguồn.")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``backup --out FILE`` and ``restore FILE`` on the hub's CLI."""
    b = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu (pg_dump -Fc, hoặc bản sao trực tuyến SQLite)")
    b.add_argument("--out", required=True, help="tệp sao lưu sẽ tạo")
    b.add_argument("--database", help="URL cơ sở dữ liệu (mặc định HUB_DATABASE_URL)")
    b.set_defaults(func=_safe(_backup_cmd))
    r = sub.add_parser("restore", help="khôi phục bản sao lưu vào một cơ sở dữ liệu TRỐNG")
    r.add_argument("archive", help="tệp do lệnh backup tạo")
    r.add_argument("--database", help="URL cơ sở dữ liệu đích (mặc định HUB_DATABASE_URL)")
    r.set_defaults(func=_safe(_restore_cmd))


Command = Callable[[argparse.Namespace, Settings], int]


def _safe(command: Command) -> Command:
    """The command, with a failed backup or restore said in one line and exit code 1."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return command(args, settings)
        except BackupError as err:
            print(f"Lỗi: {err}", file=sys.stderr)
            return 1

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.backup_cli", description=__doc__.split("\n")[0])
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args, Settings.from_env()))


if __name__ == "__main__":
    raise SystemExit(main())
