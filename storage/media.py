"""Files under the media folder (e-mail attachments, call recordings), encrypted at rest
(``storage.media_crypto``: AES-256-GCM, the keys from the settings). Written to a temporary
file beside the target then renamed, so a reader never sees half a file; read back in
chunks (a file written before encryption is read as it is)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from storage.media_crypto import (
    CHUNK,
    Keyring,
    MediaError,
    decrypt_from,
    encrypt_into,
    load_keyring,
    plain_size,
    read_header,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MEDIA_DIR = ROOT / "var" / "media"
_KEY_SETTINGS = ("HUB_MEDIA_KEYS", "HUB_MEDIA_KEYS_FILE", "HUB_MEDIA_KEY_ID")
_keyrings: dict[tuple[str, ...], Keyring] = {}

__all__ = ["Keyring", "MediaError", "content_path", "media_keys", "open_media", "read_file", "write_file"]


def media_keys(env: Mapping[str, str] | None = None, media_dir: Path | None = None) -> Keyring:
    """The keyring of these settings (``env``: the process's environment by default), loaded
    once. Without configured keys: the key file ``<media_dir>.keys`` (made on first use)."""
    env = os.environ if env is None else env
    media_dir = media_dir or Path(env.get("HUB_MEDIA_DIR") or DEFAULT_MEDIA_DIR)
    default_file = media_dir.with_name(media_dir.name + ".keys")
    cache_key = (*(env.get(k, "") for k in _KEY_SETTINGS), str(default_file))
    if cache_key not in _keyrings:
        _keyrings[cache_key] = load_keyring(env, default_file)
    return _keyrings[cache_key]


def content_path(media_dir: Path, data: bytes) -> Path:
    """Where ``data`` lives when stored by its content: ``<media>/<sha256[:2]>/<sha256>``."""
    digest = hashlib.sha256(data).hexdigest()
    return media_dir / digest[:2] / digest


def _pieces(data: bytes) -> Iterator[bytes | memoryview]:
    view = memoryview(data)
    return (view[i : i + CHUNK] for i in range(0, len(view), CHUNK))


def _write_atomic(
    path: Path, chunks: Iterable[bytes | memoryview], keys: Keyring, replaces: int | None = None
) -> bool:
    """Encrypt ``chunks`` into a temporary file renamed to ``path``. ``replaces``: the inode
    ``path`` must still be (a rewrite): when the file was deleted meanwhile (retention,
    anonymisation) nothing is put back. False: not written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as out:
            encrypt_into(out, chunks, keys)
        if replaces is not None and not _same_inode(path, replaces):
            return False
        tmp.replace(path)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _same_inode(path: Path, inode: int) -> bool:
    try:
        return path.stat().st_ino == inode
    except FileNotFoundError:
        return False


def write_file(path: Path, data: bytes, keys: Keyring | None = None) -> Path:
    """Write ``data`` encrypted at ``path`` (its folder made if needed) through a temporary
    file and a rename; an existing file is kept (a content-addressed path already holds these
    bytes). ``keys``: ``media_keys()`` by default. Blocking: call it from a thread."""
    if not path.exists():
        _write_atomic(path, _pieces(data), keys or media_keys())
    return path


async def store_file(path: Path, data: bytes, keys: Keyring | None = None) -> Path:
    """``write_file`` off the event loop."""
    return await asyncio.to_thread(write_file, path, data, keys)


def _chunks(f: BinaryIO, keys: Keyring) -> Iterator[bytes]:
    """The plaintext of the open file ``f`` in chunks (decrypted, or a plain file as is)."""
    h = read_header(f)
    if h is not None:
        yield from decrypt_from(f, h, keys)
        return
    while block := f.read(CHUNK):
        yield block


def read_file(path: Path, keys: Keyring | None = None) -> bytes:
    """The whole plaintext of ``path`` (small files; ``open_media`` streams). Raises
    ``MediaIntegrityError`` for a changed file, ``MediaKeyError`` for a missing key."""
    with path.open("rb") as f:
        return b"".join(_chunks(f, keys or media_keys()))


def key_id_of(path: Path) -> str | None:
    """The id of the key ``path`` is encrypted with; None for a plain file."""
    with path.open("rb") as f:
        h = read_header(f)
    return h.key_id if h else None


def reencrypt(path: Path, keys: Keyring) -> bool:
    """Rewrite ``path`` under the current key if it is plain or under another key (checked
    while decrypting, so a damaged file is reported, not rewritten); False: already current.
    Its modification time is kept. ``FileNotFoundError``: deleted (before or meanwhile), and
    left deleted."""
    with path.open("rb") as f:
        h = read_header(f)
        if h is not None and h.key_id == keys.current:
            return False
        stat = os.fstat(f.fileno())
        f.seek(0)
        if not _write_atomic(path, _chunks(f, keys), keys, replaces=stat.st_ino):
            raise FileNotFoundError(path)  # deleted meanwhile: left deleted
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return True


def verify(path: Path, keys: Keyring) -> str | None:
    """Decrypt ``path`` to the end (nothing kept): its key id, None for a plain file."""
    with path.open("rb") as f:
        h = read_header(f)
        f.seek(0)
        for _ in _chunks(f, keys):
            pass
    return h.key_id if h else None


class MediaReader:
    """An open media file read in plaintext chunks off the event loop (``open_media``)."""

    def __init__(self, f: BinaryIO, size: int, chunks: Iterator[bytes], first: bytes) -> None:
        self._f, self.size, self._chunks, self._first = f, size, chunks, first

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            if self._first:
                yield self._first
            while (block := await asyncio.to_thread(next, self._chunks, b"")) != b"":
                yield block
        finally:
            self._f.close()

    def close(self) -> None:
        self._f.close()


def _open(path: Path, keys: Keyring) -> MediaReader:
    f = path.open("rb")
    try:
        h = read_header(f)
        size = os.fstat(f.fileno()).st_size
        size = plain_size(size, h) if h else size
        f.seek(0)
        chunks = _chunks(f, keys)
        first = next(chunks, b"")  # a wrong key or a changed first chunk fails here
    except BaseException:
        f.close()
        raise
    return MediaReader(f, size, chunks, first)


async def open_media(path: Path, keys: Keyring) -> MediaReader:
    """``path`` opened for streaming its plaintext; the header and first chunk are checked
    before this returns (a ``MediaError`` then, before any byte is sent)."""
    return await asyncio.to_thread(_open, path, keys)
