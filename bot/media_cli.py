"""``python -m bot media …``: the media files' encryption at rest (docs/deploy.md,
"Mã hoá dữ liệu lưu trữ / encryption at rest").

    python -m bot media new-key k2      # prints "k2:<base64>" for HUB_MEDIA_KEYS(_FILE)
    python -m bot media rotate-key      # every file under the current key (HUB_MEDIA_KEY_ID)
    python -m bot media check           # every file decrypts; counts per key

``rotate-key`` rewrites each plain file (written before encryption) and each file under
another key, one file at a time through a temporary file and a rename: the hub keeps
serving meanwhile, and a run that stops is resumed by running it again (files already under
the current key are skipped). Exit status 1 when a file could not be read.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.config import Settings
from storage.media import media_keys, reencrypt, verify
from storage.media_crypto import Keyring, MediaError, new_key_line

PROGRESS_EVERY = 100
PLAIN = "(chưa mã hoá)"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("media", help="mã hoá tệp đính kèm và ghi âm: tạo khoá, đổi khoá, kiểm tra")
    msub = p.add_subparsers(dest="media_command", required=True)
    n = msub.add_parser("new-key", help="in ra một khoá mới 'mã:khoá_base64'")
    n.add_argument("key_id", help="mã của khoá, ví dụ k2 hoặc 2027-01")
    msub.add_parser("rotate-key", help="mã hoá lại mọi tệp bằng khoá hiện hành (HUB_MEDIA_KEY_ID)")
    msub.add_parser("check", help="kiểm tra mọi tệp giải mã được; đếm theo khoá")
    p.set_defaults(func=run)


def media_files(media_dir: Path) -> Iterator[Path]:
    """The stored files under ``media_dir`` (not temporary files being written)."""
    if media_dir.is_dir():
        for path in sorted(media_dir.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp"):
                yield path


def _walk(
    media_dir: Path, step: Callable[[Path], str | None], out: Callable[[str], None]
) -> tuple[Counter[str], list[tuple[Path, str]]]:
    """``step`` on every file (its label counted; None: the file went away meanwhile)."""
    files = list(media_files(media_dir))
    counts: Counter[str] = Counter()
    failed: list[tuple[Path, str]] = []
    for i, path in enumerate(files, 1):
        try:
            label = step(path)
        except FileNotFoundError:
            label = None  # deleted meanwhile (retention, anonymisation)
        except MediaError as err:
            failed.append((path, str(err)))
            out(f"[{i}/{len(files)}] LỖI {path.relative_to(media_dir)}: {err}")
            continue
        if label is not None:
            counts[label] += 1
        if i % PROGRESS_EVERY == 0 or i == len(files):
            out(f"[{i}/{len(files)}] đã xử lý")
    return counts, failed


def rotate(media_dir: Path, keys: Keyring, out: Callable[[str], None] = print) -> int:
    """Re-encrypt every file not under the current key; 0, or 1 when a file failed."""
    out(f"Mã hoá lại {media_dir} bằng khoá '{keys.current}'")
    counts, failed = _walk(media_dir, lambda p: "mã hoá lại" if reencrypt(p, keys) else "đã đúng khoá", out)
    done, kept = counts["mã hoá lại"], counts["đã đúng khoá"]
    out(f"Xong: {done} tệp mã hoá lại, {kept} tệp đã đúng khoá, {len(failed)} lỗi")
    if failed:
        out("Các tệp lỗi chưa được đổi; giữ khoá cũ trong cấu hình và kiểm tra chúng (media check).")
    return 1 if failed else 0


def check(media_dir: Path, keys: Keyring, out: Callable[[str], None] = print) -> int:
    """Decrypt every file; 0, or 1 when a file failed."""
    counts, failed = _walk(media_dir, lambda p: verify(p, keys) or PLAIN, out)
    for label, n in sorted(counts.items()):
        current = " (hiện hành)" if label == keys.current else ""
        out(f"khoá {label}{current}: {n} tệp" if label != PLAIN else f"{PLAIN}: {n} tệp")
    out(f"lỗi: {len(failed)} tệp")
    if any(label != keys.current for label in counts):
        out("Còn tệp chưa mã hoá hoặc dùng khoá cũ: chạy 'python -m bot media rotate-key'.")
    return 1 if failed else 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.media_command == "new-key":
            print(new_key_line(args.key_id))
            return 0
        keys = media_keys(settings.env, settings.media_dir)
    except MediaError as err:
        print(f"Lỗi: {err}", file=sys.stderr)
        return 2
    if args.media_command == "rotate-key":
        return rotate(settings.media_dir, keys)
    return check(settings.media_dir, keys)
