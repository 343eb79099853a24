"""Media files encrypted at rest: AES-256-GCM in chunks, several keys at once (rotation).

A file is ``header`` then chunks. The header: ``MAGIC`` (8 bytes), the format version (1
byte), the chunk size (4 bytes, big-endian), the key id's length (1 byte), the key id (ASCII),
a random nonce prefix (7 bytes). Chunk ``i`` is ``CHUNK`` bytes of plaintext (the last one
fewer, possibly none) sealed with the nonce ``prefix + i (4 bytes) + last (1 byte)`` and the
whole header as associated data: a changed header, a reordered, dropped or added chunk, or
a cut file fails to decrypt instead of giving other bytes. A file without ``MAGIC`` is a
plain file written before encryption: read as it is, encrypted by ``media rotate-key``.

Keys (``load_keyring``): ``HUB_MEDIA_KEYS`` ("id:base64key,id2:base64key") and/or the file
``HUB_MEDIA_KEYS_FILE`` (one "id:base64key" a line, ``#`` comments); ``HUB_MEDIA_KEY_ID``
names the key new files are written with (default: the last one listed). With neither, a key
file is made beside the media folder on first use (mode 0600) and a warning is logged.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets
import struct
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

MAGIC = b"\x89H1022M\n"
VERSION = 1
CHUNK = 64 * 1024
TAG = 16
PREFIX = 7
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_FIXED = struct.Struct(">BIB")  # version, chunk size, key id length


class MediaError(Exception):
    """A media file that cannot be read or written as asked (the message is for people)."""


class MediaKeyError(MediaError):
    """The keys' settings are wrong, or a file names a key that is not configured."""


class MediaIntegrityError(MediaError):
    """A file that does not decrypt: changed on disk, cut short, or a wrong key."""


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[str, bytes]
    current: str

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise MediaKeyError(
                f"Tệp được mã hoá bằng khoá '{key_id}' nhưng khoá này không có trong "
                "HUB_MEDIA_KEYS / HUB_MEDIA_KEYS_FILE: hãy thêm lại khoá cũ"
            ) from None


@dataclass(frozen=True)
class Header:
    key_id: str
    chunk: int
    prefix: bytes
    raw: bytes


def new_key_line(key_id: str) -> str:
    """A fresh key as a line of ``HUB_MEDIA_KEYS_FILE``: ``id:base64(32 random bytes)``."""
    _check_id(key_id)
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def _check_id(key_id: str) -> str:
    if not KEY_ID.match(key_id):
        raise MediaKeyError(f"Mã khoá '{key_id}' không hợp lệ (chỉ chữ, số, '.', '_', '-'; tối đa 64 ký tự)")
    return key_id


def parse_keys(text: str, where: str) -> dict[str, bytes]:
    """``id:base64key`` items separated by commas or lines; ``#`` starts a comment."""
    keys: dict[str, bytes] = {}
    items = (i for line in text.splitlines() for i in line.split("#", 1)[0].split(","))
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        key_id, sep, b64 = item.partition(":")
        if not sep:
            raise MediaKeyError(f"{where}: mỗi khoá phải có dạng 'mã:khoá_base64'")
        try:
            key = base64.b64decode(
                b64.strip() + "=" * (-len(b64.strip()) % 4), altchars=b"-_", validate=False
            )
        except (binascii.Error, ValueError) as err:
            raise MediaKeyError(f"{where}: khoá '{key_id.strip()}' không phải base64") from err
        if len(key) != 32:
            raise MediaKeyError(
                f"{where}: khoá '{key_id.strip()}' phải dài 32 byte (AES-256), đang là {len(key)}"
            )
        keys[_check_id(key_id.strip())] = key
    return keys


def load_keyring(env: Mapping[str, str], default_file: Path) -> Keyring:
    """The keys from the settings (module docstring); a key file made at ``default_file``
    when none is configured."""
    keys: dict[str, bytes] = {}
    file = (env.get("HUB_MEDIA_KEYS_FILE") or "").strip()
    inline = (env.get("HUB_MEDIA_KEYS") or "").strip()
    if file:
        keys.update(_read_key_file(Path(file)))
    if inline:
        keys.update(parse_keys(inline, "HUB_MEDIA_KEYS"))
    if not keys:
        keys = _read_key_file(_ensure_default_file(default_file))
    current = (env.get("HUB_MEDIA_KEY_ID") or "").strip() or list(keys)[-1]
    if current not in keys:
        raise MediaKeyError(f"HUB_MEDIA_KEY_ID='{current}' không có trong các khoá đã cấu hình")
    return Keyring(keys=keys, current=current)


def _read_key_file(path: Path) -> dict[str, bytes]:
    try:
        keys = parse_keys(path.read_text(encoding="utf-8"), str(path))
    except OSError as err:
        raise MediaKeyError(f"Không đọc được tệp khoá {path}: {err.strerror}") from err
    if not keys:
        raise MediaKeyError(f"Tệp khoá {path} không có khoá nào")
    return keys


def _ensure_default_file(path: Path) -> Path:
    """Make ``path`` with one new key (0600), unless it exists: written to a temporary file
    then linked, so two processes starting together end with the same key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# khoá mã hoá tệp đính kèm / ghi âm (tự tạo): GIỮ BÍ MẬT, sao lưu riêng\n")
            f.write(new_key_line("k1") + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    log.warning(
        "Chưa cấu hình khoá mã hoá tệp (HUB_MEDIA_KEYS hoặc HUB_MEDIA_KEYS_FILE): dùng khoá tự tạo %s. "
        "Môi trường production PHẢI đặt khoá riêng và lưu bản sao khoá ngoài máy chủ (docs/deploy.md).",
        path,
    )
    return path


def _header(keyring: Keyring) -> Header:
    kid = keyring.current.encode("ascii")
    prefix = secrets.token_bytes(PREFIX)
    raw = MAGIC + _FIXED.pack(VERSION, CHUNK, len(kid)) + kid + prefix
    return Header(keyring.current, CHUNK, prefix, raw)


def _nonce(h: Header, index: int, last: bool) -> bytes:
    if index >= 1 << 32:
        raise MediaError("Tệp quá lớn để mã hoá")
    return h.prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _rechunk(chunks: Iterable[bytes | memoryview], size: int) -> Iterator[tuple[bytes, bool]]:
    """``chunks`` cut into pieces of ``size`` bytes (the last one shorter or empty), each
    with "is it the last"; one piece is held back to know."""
    buf = bytearray()
    pending: bytes | None = None
    for c in chunks:
        buf.extend(c)
        while len(buf) >= size:
            if pending is not None:
                yield pending, False
            pending = bytes(buf[:size])
            del buf[:size]
    if pending is not None and not buf:
        yield pending, True
        return
    if pending is not None:
        yield pending, False
    yield bytes(buf), True


def encrypt_into(out: BinaryIO, chunks: Iterable[bytes | memoryview], keyring: Keyring) -> None:
    """Write the header and the sealed ``chunks`` (any sizes) to ``out``."""
    h = _header(keyring)
    aes = AESGCM(keyring.key(h.key_id))
    out.write(h.raw)
    for i, (plain, last) in enumerate(_rechunk(chunks, h.chunk)):
        out.write(aes.encrypt(_nonce(h, i, last), plain, h.raw))


def read_header(f: BinaryIO) -> Header | None:
    """The header at ``f``'s start, or None for a plain file (then ``f`` is back at 0)."""
    if f.read(len(MAGIC)) != MAGIC:
        f.seek(0)
        return None
    fixed = f.read(_FIXED.size)
    if len(fixed) != _FIXED.size:
        raise MediaIntegrityError("Tệp mã hoá bị cắt cụt (thiếu phần đầu)")
    version, chunk, kid_len = _FIXED.unpack(fixed)
    if version != VERSION or not 0 < chunk <= 1 << 24:
        raise MediaIntegrityError(f"Tệp mã hoá có phiên bản {version} không hỗ trợ hoặc bị hỏng")
    rest = f.read(kid_len + PREFIX)
    if len(rest) != kid_len + PREFIX:
        raise MediaIntegrityError("Tệp mã hoá bị cắt cụt (thiếu phần đầu)")
    try:
        kid = rest[:kid_len].decode("ascii")
    except UnicodeDecodeError as err:
        raise MediaIntegrityError("Tệp mã hoá bị hỏng (mã khoá không đọc được)") from err
    return Header(kid, chunk, rest[kid_len:], MAGIC + fixed + rest)


def decrypt_from(f: BinaryIO, h: Header, keyring: Keyring) -> Iterator[bytes]:
    """The plaintext chunks after ``h``; ``MediaIntegrityError`` at the first bad one."""
    aes = AESGCM(keyring.key(h.key_id))
    size = h.chunk + TAG
    cur = f.read(size)
    index = 0
    while True:
        nxt = f.read(size) if len(cur) == size else b""
        try:
            yield aes.decrypt(_nonce(h, index, not nxt), cur, h.raw)
        except InvalidTag as err:
            raise MediaIntegrityError(
                f"Không giải mã được tệp (đoạn {index + 1}): tệp đã bị sửa đổi hoặc cắt cụt, "
                f"hoặc khoá '{h.key_id}' không đúng"
            ) from err
        if not nxt:
            return
        cur, index = nxt, index + 1


def plain_size(file_size: int, h: Header) -> int:
    """The plaintext's length of an encrypted file of ``file_size`` bytes."""
    body = file_size - len(h.raw)
    chunks = max(1, -(-body // (h.chunk + TAG)))
    return max(0, body - chunks * TAG)
