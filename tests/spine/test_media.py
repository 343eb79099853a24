"""storage.media: bytes stored (encrypted) through a temporary file and a rename,
content-addressed or at a path the caller names, off the event loop."""

from __future__ import annotations

import hashlib
from pathlib import Path

from storage.media import content_path, read_file, store_file, write_file


def test_content_addressed_file_is_written_once(tmp_path: Path) -> None:
    data = b"%PDF-1.4 giay to"
    digest = hashlib.sha256(data).hexdigest()
    path = content_path(tmp_path, data)
    assert path == tmp_path / digest[:2] / digest
    assert write_file(path, data) == path and read_file(path) == data
    assert data not in path.read_bytes()  # encrypted at rest (tests/spine/test_media_encryption.py)
    before = path.stat().st_mtime_ns
    assert write_file(path, data) == path and path.stat().st_mtime_ns == before  # kept as is
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temporary file left behind


async def test_store_file_at_a_named_path(tmp_path: Path) -> None:
    target = tmp_path / "recordings" / "abc.wav"
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
    assert await store_file(target, wav) == target
    assert read_file(target) == wav and b"WAVE" not in target.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["abc.wav"]
