"""Embeddings kept on disk between processes and restarts: an SQLite file (stdlib ``sqlite3``)
of ``(model, key) -> float32 vector``, where ``key`` is the SHA-256 of the text as the model
reads it (its role prefix included).

Embedding an entry costs ~0.1-0.2 s (its passage is up to 128 words), so 1,000 entries took
~3 minutes at every start of the hub and 10,000 about half an hour. With the store, only new
or changed phrasings are encoded; a worker started next to a running one reads what the first
one encoded. Several processes may share the file (SQLite's WAL journal, a busy timeout).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    key TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, key)
)
"""
CHUNK = 500  # keys per SELECT (SQLite's default limit on parameters is 999 or more)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingStore:
    """Thread-safe; a corrupt or unreadable file is an error at open, never a silent miss."""

    def __init__(self, path: str | Path, model: str) -> None:
        self.path = Path(path)
        self.model = model
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(SCHEMA)
            self._db.commit()

    def get_many(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those of ``texts`` that have one."""
        by_key = {text_key(t): t for t in texts}
        keys = list(by_key)
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({marks})",
                    (self.model, *chunk),
                ).fetchall()
                for key, blob in rows:
                    out[by_key[key]] = np.frombuffer(blob, dtype=np.float32).copy()
        return out

    def put_many(self, vectors: Mapping[str, np.ndarray]) -> None:
        rows = [
            (self.model, text_key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in vectors.items()
        ]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM embeddings WHERE model = ?", (self.model,)
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
