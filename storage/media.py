"""Files under the media folder (e-mail attachments, call recordings): written to a temporary
file beside the target then renamed, so a reader never sees half a file."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path


def content_path(media_dir: Path, data: bytes) -> Path:
    """Where ``data`` lives when stored by its content: ``<media>/<sha256[:2]>/<sha256>``."""
    digest = hashlib.sha256(data).hexdigest()
    return media_dir / digest[:2] / digest


def write_file(path: Path, data: bytes) -> Path:
    """Write ``data`` at ``path`` (its folder made if needed) through a temporary file and a
    rename; an existing file is kept (a content-addressed path already holds these bytes).
    Blocking: call it from a thread (``store_file``)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


async def store_file(path: Path, data: bytes) -> Path:
    """``write_file`` off the event loop."""
    return await asyncio.to_thread(write_file, path, data)
