"""Backup and restore round trips (bot/backup_cli.py): PostgreSQL with pg_dump/pg_restore,
SQLite with its online backup API while a writer keeps storing messages."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.backup_cli import BackupError, backup, restore
from connectors.base import EventKind, InboundMessage
from handoff.tickets import create_ticket
from storage.clock import SystemClock
from storage.migrate import upgrade
from storage.models import Conversation, Ticket
from storage.record.ingest import ingest_one
from storage.session import SessionMaker, create_engine, make_sessionmaker
from tests.conftest import wait_for
from tests.deploy.conftest import PgDatabase

ROOT = Path(__file__).resolve().parent.parent.parent
CLOCK = SystemClock()
UNCOMMITTED = "nội dung đổi trong lúc sao lưu"


def zalo_message(user: str, text_: str) -> InboundMessage:
    return InboundMessage(
        channel="zalo",
        kind=EventKind.MESSAGE,
        external_user_id=user,
        channel_message_id=f"msg-{uuid.uuid4().hex}",
        text=text_,
    )


async def conversation_with_ticket(sm: SessionMaker) -> str:
    """A citizen's Zalo message (a new contact and conversation) and a ticket on it, through
    the project's own ingest and ticket code: the ticket's code."""
    stored = await ingest_one(sm, zalo_message("zalo-user-1", "Đường Lê Lợi bị ngập, đề nghị xử lý"), CLOCK)
    assert stored.conversation_id is not None and not stored.duplicate
    async with sm() as s, s.begin():
        conv = await s.get(Conversation, stored.conversation_id)
        ticket = await create_ticket(
            s, conv, content="Ngập đường Lê Lợi", now=CLOCK.now(), full_name="Trần Văn A", phone="0912345678"
        )
        return ticket.code


async def table_rows(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (alembic_version included), sorted: what a restore must equal."""

    def names(conn: Any) -> list[str]:
        return sorted(inspect(conn).get_table_names())

    async with engine.connect() as conn:
        tables = await conn.run_sync(names)
        rows = {}
        for table in tables:
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))
            rows[table] = sorted((tuple(r) for r in result), key=repr)
    return rows


@pytest.mark.postgres
async def test_postgres_backup_restores_every_row_into_a_fresh_database(
    pg_database: PgDatabase, tmp_path: Path
) -> None:
    source_url, target_url = await pg_database(), await pg_database()
    source = create_engine(source_url)
    target = create_engine(target_url)
    try:
        await upgrade(source)
        code = await conversation_with_ticket(make_sessionmaker(source))
        archive = await asyncio.to_thread(backup, source_url, tmp_path / "hub.dump")
        assert archive.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
        await asyncio.to_thread(restore, archive, target_url)

        before, after = await table_rows(source), await table_rows(target)
        assert after == before
        assert len(after["messages"]) == 1 and len(after["conversations"]) == 1
        assert [r for r in after["tickets"] if code in r]
        assert after["alembic_version"] == before["alembic_version"] != []
        # restored, the database works for the hub: the ticket counter goes on from there
        code2 = await conversation_with_ticket(make_sessionmaker(target))
        assert code2 != code
        # a restore never mixes with live rows
        with pytest.raises(BackupError, match="trống"):
            await asyncio.to_thread(restore, archive, target_url)
    finally:
        await source.dispose()
        await target.dispose()


async def _keep_writing(sm: SessionMaker, stop: asyncio.Event, written: list[int]) -> None:
    """Store a citizen message after another until told to stop (bounded: 2,000)."""
    for i in range(2000):
        if stop.is_set():
            return
        stored = await ingest_one(sm, zalo_message("zalo-user-2", f"tin nhắn {i}"), CLOCK)
        assert stored.message_id is not None
        written.append(stored.message_id)
        await asyncio.sleep(0)


async def test_sqlite_online_backup_while_a_writer_stores_messages(tmp_path: Path) -> None:
    source_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    restored_url = f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
    source = create_engine(source_url)
    sm = make_sessionmaker(source)
    restored = create_engine(restored_url)
    stop, written = asyncio.Event(), list[int]()
    try:
        await upgrade(source)
        code = await conversation_with_ticket(sm)
        writer = asyncio.create_task(_keep_writing(sm, stop, written))
        await wait_for(lambda: len(written) >= 20)  # the writer is busy before the backup
        # the hub's own writer holds SQLite's write lock (BEGIN IMMEDIATE) with a change not
        # yet committed while the backup runs: the backup neither waits for it nor copies it
        async with sm() as s, s.begin():
            await s.execute(update(Ticket).where(Ticket.code == code).values(content=UNCOMMITTED))
            started_with = len(written)
            archive = await asyncio.wait_for(
                asyncio.to_thread(backup, source_url, tmp_path / "backup.sqlite3"), timeout=20
            )
            ended_with = len(written)
        await wait_for(lambda: len(written) >= ended_with + 20 or writer.done())  # and after it
        assert not writer.done(), writer.exception()
        stop.set()
        await writer

        await asyncio.to_thread(restore, archive, restored_url)
        with pytest.raises(BackupError, match="đã tồn tại"):
            await asyncio.to_thread(restore, archive, restored_url)
        now, back = await table_rows(source), await table_rows(restored)
        assert set(back) == set(now)
        # a consistent snapshot: every restored message is the source's, the messages are a
        # prefix of what the writer stored (one before the ticket's), and nothing is torn
        source_messages = {r[0]: r for r in now["messages"]}
        ids = sorted(r[0] for r in back["messages"])
        assert all(source_messages[r[0]] == r for r in back["messages"])
        assert ids == sorted(source_messages)[: len(ids)]
        assert 1 + started_with <= len(ids) <= 1 + ended_with + 1
        assert [r for r in now["tickets"] if UNCOMMITTED in r]  # committed after the backup
        assert not [r for r in back["tickets"] if UNCOMMITTED in r]
        assert [r for r in back["tickets"] if code in r and "Ngập đường Lê Lợi" in r]
        assert back["alembic_version"] == now["alembic_version"]
    finally:
        stop.set()
        await source.dispose()
        await restored.dispose()


def test_backup_script_encrypts_prunes_and_its_files_restore(tmp_path: Path) -> None:
    """deploy/backup.sh as the timer runs it: the database and the media, gpg-encrypted;
    a backup older than BACKUP_KEEP_DAYS removed; decrypted, the dump restores."""
    gpg = shutil.which("gpg")
    assert gpg, "gpg is required (Debian: gnupg), deploy/backup.sh encrypts with it"
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    code = asyncio.run(_migrated_with_ticket(db_url))
    media = tmp_path / "media"
    (media / "2026").mkdir(parents=True)
    (media / "2026" / "call.txt").write_text("ghi âm", encoding="utf-8")
    settings = tmp_path / "hub.env"
    settings.write_text(f"HUB_DATABASE_URL={db_url}\nHUB_MEDIA_DIR={media}\n", encoding="utf-8")
    passphrase = tmp_path / "backup.pass"
    passphrase.write_text("mật khẩu sao lưu thử\n", encoding="utf-8")
    out = tmp_path / "backups"
    out.mkdir()
    old = out / "hub-20200101T000000Z.db.gpg"
    old.write_bytes(b"old")
    os.utime(old, (0, 0))
    env = {
        "PATH": os.environ["PATH"],
        "HUB_DIR": str(ROOT),
        "PYTHON": sys.executable,
        "HUB_SETTINGS_FILE": str(settings),
        "BACKUP_DIR": str(out),
        "BACKUP_KEEP_DAYS": "14",
        "BACKUP_PASSPHRASE_FILE": str(passphrase),
    }
    script = ROOT / "deploy" / "backup.sh"
    run = subprocess.run([script], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    kept = sorted(p.name for p in out.iterdir())
    assert old.name not in kept and len(kept) == 2, kept
    db_gpg = next(out.glob("hub-*.db.gpg"))
    media_gpg = next(out.glob("media-*.tar.gz.gpg"))
    assert b"SQLite format 3" not in db_gpg.read_bytes()  # encrypted

    with tempfile.TemporaryDirectory() as home:  # short: gpg-agent's socket lives there
        cmd = [gpg, "--homedir", home, "--batch", "--quiet", "--pinentry-mode", "loopback"]
        cmd += ["--passphrase-file", str(passphrase)]
        try:
            for src, dest in ((db_gpg, "hub.db"), (media_gpg, "media.tar.gz")):
                subprocess.run([*cmd, "-o", str(tmp_path / dest), "-d", str(src)], check=True)
        finally:
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], check=False)
    restored_url = f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
    restore(tmp_path / "hub.db", restored_url)
    assert asyncio.run(_ticket_codes(restored_url)) == [code]
    with tarfile.open(tmp_path / "media.tar.gz") as tar:
        member = tar.extractfile("media/2026/call.txt")
        assert member is not None and member.read().decode() == "ghi âm"


async def _migrated_with_ticket(url: str) -> str:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        return await conversation_with_ticket(make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _ticket_codes(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [r[0] for r in await conn.execute(text("SELECT code FROM tickets"))]
    finally:
        await engine.dispose()
