"""Media at rest (issue 18, section 6): attachments and call recordings written through the
hub's real paths are encrypted on disk (the file's bytes hold no plaintext and a wrong key
cannot open them), the console serves the original bytes, a key rotation re-encrypts every
file while the old ones stay readable, a plain legacy file is served and then encrypted by
the rotation, and a changed file is a clear error, never other bytes."""

from __future__ import annotations

import base64
import json
import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData, web
from sqlalchemy import select

from bot.__main__ import main
from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from bot.ingest_service import store_events
from bot.media_cli import check, rotate
from connectors.base import Attachment, EventKind, InboundMessage
from storage.clock import ManualClock
from storage.media import key_id_of, media_keys, read_file, reencrypt, write_file
from storage.media_crypto import (
    CHUNK,
    MAGIC,
    Keyring,
    MediaIntegrityError,
    MediaKeyError,
    load_keyring,
    new_key_line,
    parse_keys,
)
from storage.models import Attachment as AttachmentRow
from storage.models_console import TicketFile
from tests.console.conftest import console_client, console_clock, people  # noqa: F401

MARK = b"GHI-AM-BI-MAT-0987654321-"
K1, K2 = new_key_line("k1"), new_key_line("k2")


def _key(line: str) -> bytes:
    return base64.b64decode(line.split(":", 1)[1])


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:  # noqa: F811
    """The console's hub (tests/console/conftest.py) with the media key k1 configured."""
    env = {"HUB_DEADLINE_CHECK_SECONDS": "3600", "HUB_MEDIA_KEYS": K1}
    return await create_app(replace(hub_settings, env=env), clock=console_clock)


def _recording(n: int) -> bytes:
    """A WAV-looking recording over several chunks, full of a recognisable marker."""
    return b"RIFF\x24\x00\x00\x00WAVEfmt " + (MARK + str(n).encode()) * (3 * CHUNK // len(MARK))


async def _log_call(op: Any, data: bytes) -> tuple[int, int]:
    form = FormData()
    form.add_field("phone", "0987654321")
    form.add_field("content", "Hỏi lịch tiêm chủng")
    form.add_field("recording", data, filename="cuoc-goi.wav", content_type="audio/wav")
    async with op.http.post(
        op.base + "/console/api/calls", data=form, headers={"X-CSRF-Token": op.csrf}
    ) as r:
        body = await r.json()
        assert r.status == 200, body
    _, detail = await op.get(f"/console/api/tickets/{body['ticket']['id']}")
    (f,) = detail["files"]
    return body["ticket"]["id"], f["id"]


async def _download(op: Any, ids: tuple[int, int]) -> tuple[int, bytes]:
    async with op.http.get(op.base + f"/console/api/tickets/{ids[0]}/files/{ids[1]}") as r:
        return r.status, await r.read()


async def _stored_path(app: Any, file_id: int) -> Path:
    async with app[HUB].sm() as s:
        f = await s.get(TicketFile, file_id)
    return Path(f.stored_path)


def _use_keys(app: Any, env: dict[str, str]) -> None:
    """The hub restarted with other key settings (the rotation's deploy steps)."""
    hub = app[HUB]
    hub.settings = replace(hub.settings, env=env)


async def test_recordings_and_attachments_are_unreadable_on_disk_without_the_key(
    people: Any,  # noqa: F811
    console_app: Any,
) -> None:
    op = await people("op1")
    wav = _recording(1)
    ids = await _log_call(op, wav)
    path = await _stored_path(console_app, ids[1])
    raw = path.read_bytes()
    assert raw.startswith(MAGIC) and MARK not in raw and b"WAVE" not in raw
    assert len(raw) < len(wav) + 200  # chunked: 16 bytes a 64 KiB chunk, not a second copy
    wrong = Keyring({"k1": os.urandom(32)}, "k1")
    with pytest.raises(MediaIntegrityError, match="Không giải mã được"):
        read_file(path, wrong)
    with pytest.raises(MediaKeyError, match="k1"):
        read_file(path, Keyring({"k9": _key(K2)}, "k9"))
    assert read_file(path, Keyring({"k1": _key(K1)}, "k1")) == wav
    assert await _download(op, ids) == (200, wav)

    # an e-mail attachment through the ingest's own storage step
    hub = console_app[HUB]
    pdf = b"%PDF-1.4 " + MARK * 500
    event = InboundMessage(
        channel="email",
        kind=EventKind.MESSAGE,
        external_user_id="dan@example.vn",
        channel_message_id="<enc1@example.vn>",
        text="Gửi kèm giấy tờ",
        attachments=(Attachment(kind="file", name="don.pdf", mime_type="application/pdf", data=pdf),),
        auto_generated=True,
    )
    await store_events(hub, [event])
    async with hub.sm() as s:
        (row,) = (await s.execute(select(AttachmentRow))).scalars().all()
    att = Path(row.stored_path or "")
    on_disk = att.read_bytes()  # noqa: ASYNC240 - a test check
    assert on_disk.startswith(MAGIC) and MARK not in on_disk and b"%PDF" not in on_disk
    assert row.size == len(pdf) and read_file(att, Keyring({"k1": _key(K1)}, "k1")) == pdf


async def test_rotation_legacy_files_and_tampering(
    people: Any,  # noqa: F811
    console_app: Any,
) -> None:
    op = await people("op1")
    media_dir = console_app[HUB].settings.media_dir
    old = _recording(1)
    old_ids = await _log_call(op, old)
    legacy = _recording(2)
    legacy_ids = await _log_call(op, legacy)
    legacy_path = await _stored_path(console_app, legacy_ids[1])
    legacy_path.write_bytes(legacy)
    assert await _download(op, legacy_ids) == (200, legacy)

    # deploy step: both keys known, k2 current; new files use k2, k1's files stay readable
    both = {"HUB_MEDIA_KEYS": f"{K1},{K2}", "HUB_MEDIA_KEY_ID": "k2"}
    _use_keys(console_app, both)
    new = _recording(3)
    new_ids = await _log_call(op, new)
    assert key_id_of(await _stored_path(console_app, new_ids[1])) == "k2"
    assert key_id_of(await _stored_path(console_app, old_ids[1])) == "k1"
    assert await _download(op, old_ids) == (200, old)

    # an interrupted run: one file done already; the run resumes and skips it
    keys = media_keys(both, media_dir)
    assert reencrypt(await _stored_path(console_app, old_ids[1]), keys)
    lines: list[str] = []
    assert rotate(media_dir, keys, lines.append) == 0
    assert "Xong: 1 tệp mã hoá lại, 2 tệp đã đúng khoá, 0 lỗi" in lines
    assert any(line.startswith("[3/3]") for line in lines)
    for ids, data in ((old_ids, old), (legacy_ids, legacy), (new_ids, new)):
        path = await _stored_path(console_app, ids[1])
        raw = path.read_bytes()
        assert key_id_of(path) == "k2" and MARK not in raw
        assert await _download(op, ids) == (200, data)

    # last step: k1 removed from the settings; everything still opens
    _use_keys(console_app, {"HUB_MEDIA_KEYS": K2})
    for ids, data in ((old_ids, old), (legacy_ids, legacy), (new_ids, new)):
        assert await _download(op, ids) == (200, data)
    report: list[str] = []
    assert check(media_dir, media_keys({"HUB_MEDIA_KEYS": K2}, media_dir), report.append) == 0
    assert "khoá k2 (hiện hành): 3 tệp" in report

    # a changed byte: a clear error (HTTP and the check), never other bytes
    path = await _stored_path(console_app, old_ids[1])
    changed = bytearray(path.read_bytes())
    changed[100] ^= 0x01
    path.write_bytes(bytes(changed))
    status, body = await _download(op, old_ids)
    assert status == 500 and MARK not in body
    assert json.loads(body)["error"].startswith("Không giải mã được tệp (đoạn 1): tệp đã bị sửa đổi")
    report.clear()
    assert check(media_dir, media_keys({"HUB_MEDIA_KEYS": K2}, media_dir), report.append) == 1
    assert any("LỖI" in line and "sửa đổi" in line for line in report)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK])
def test_round_trip_at_chunk_boundaries_and_every_cut_fails(tmp_path: Path, size: int) -> None:
    keys = Keyring({"k1": _key(K1)}, "k1")
    data = os.urandom(size)
    path = write_file(tmp_path / "f", data, keys)
    assert read_file(path, keys) == data
    raw = path.read_bytes()
    for cut in {1, 16, 17, CHUNK + 16, len(raw) - 30}:
        if 0 < cut < len(raw):
            path.write_bytes(raw[:-cut])
            with pytest.raises(MediaIntegrityError):
                read_file(path, keys)
    if size > CHUNK:  # two chunks swapped
        head = len(MAGIC) + 6 + len("k1") + 7  # the header: magic, fixed fields, key id, nonce prefix
        a, b = raw[head : head + CHUNK + 16], raw[head + CHUNK + 16 : head + 2 * (CHUNK + 16)]
        path.write_bytes(raw[:head] + b + a + raw[head + 2 * (CHUNK + 16) :])
        with pytest.raises(MediaIntegrityError):
            read_file(path, keys)


def test_a_header_naming_another_key_is_refused(tmp_path: Path) -> None:
    keys = Keyring({"k1": _key(K1), "k2": _key(K2)}, "k1")
    path = write_file(tmp_path / "f", MARK, keys)
    path.write_bytes(path.read_bytes().replace(b"k1", b"k2", 1))
    with pytest.raises(MediaIntegrityError):
        read_file(path, keys)


def test_default_key_file_is_made_once_private_and_shared(tmp_path: Path, caplog: Any) -> None:
    media = tmp_path / "media"
    first = load_keyring({}, media.with_name("media.keys"))
    assert "production PHẢI đặt khoá riêng" in caplog.text
    key_file = tmp_path / "media.keys"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_keyring({}, key_file) == first  # the second process gets the same key
    assert list(tmp_path.iterdir()) == [key_file]


def test_bad_key_settings_have_clear_messages(tmp_path: Path) -> None:
    with pytest.raises(MediaKeyError, match="32 byte"):
        parse_keys("k1:" + base64.b64encode(b"short").decode(), "HUB_MEDIA_KEYS")
    with pytest.raises(MediaKeyError, match="mã:khoá_base64"):
        parse_keys("khong-co-dau-hai-cham", "HUB_MEDIA_KEYS")
    with pytest.raises(MediaKeyError, match="HUB_MEDIA_KEY_ID='k3'"):
        load_keyring({"HUB_MEDIA_KEYS": K1, "HUB_MEDIA_KEY_ID": "k3"}, tmp_path / "x.keys")
    with pytest.raises(MediaKeyError, match="Không đọc được tệp khoá"):
        load_keyring({"HUB_MEDIA_KEYS_FILE": str(tmp_path / "none")}, tmp_path / "x.keys")
    f = tmp_path / "keys"
    f.write_text(f"# khoá cũ, giữ đến khi đổi xong\n{K1}\n{K2}  # hiện hành\n", encoding="utf-8")
    assert load_keyring({"HUB_MEDIA_KEYS_FILE": str(f)}, tmp_path / "x.keys").current == "k2"


def test_the_command_line_rotates_a_plain_folder(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    media = tmp_path / "media"
    (media / "ab").mkdir(parents=True)
    (media / "ab" / "thu.eml").write_bytes(MARK)
    (media / "ab" / "x.123.tmp").write_bytes(b"half written")  # a write in progress: left alone
    monkeypatch.setenv("HUB_MEDIA_DIR", str(media))
    monkeypatch.setenv("HUB_MEDIA_KEYS", K1)
    assert main(["media", "check"]) == 0
    assert "(chưa mã hoá): 1 tệp" in capsys.readouterr().out
    assert main(["media", "rotate-key"]) == 0
    assert "Xong: 1 tệp mã hoá lại" in capsys.readouterr().out
    assert MARK not in (media / "ab" / "thu.eml").read_bytes()
    assert (media / "ab" / "x.123.tmp").read_bytes() == b"half written"
    monkeypatch.setenv("HUB_MEDIA_KEYS", K2)  # k1 forgotten: the file cannot be opened
    assert main(["media", "check"]) == 1
    assert "không có trong HUB_MEDIA_KEYS" in capsys.readouterr().out
    assert main(["media", "new-key", "2027-01"]) == 0
    assert len(_key(capsys.readouterr().out.strip())) == 32


def test_a_file_deleted_during_its_rewrite_stays_deleted(tmp_path: Path, monkeypatch: Any) -> None:
    """Retention or anonymisation deleting a file while the rotation rewrites it: the
    rotation does not put the personal data back."""
    import storage.media

    keys = Keyring({"k1": _key(K1), "k2": _key(K2)}, "k2")
    path = tmp_path / "ab" / "don.pdf"
    path.parent.mkdir()
    path.write_bytes(MARK)
    real = storage.media.encrypt_into

    def deleted_meanwhile(out: Any, chunks: Any, keyring: Keyring) -> None:
        path.unlink()  # the retention job, at this moment
        real(out, chunks, keyring)

    monkeypatch.setattr(storage.media, "encrypt_into", deleted_meanwhile)
    with pytest.raises(FileNotFoundError):
        reencrypt(path, keys)
    assert list(path.parent.iterdir()) == []  # neither the file nor a temporary one
