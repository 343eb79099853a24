"""FAQ matching engine: lexical BM25 on folded syllables + pairs + lexicon concepts, fused with
dense retrieval over every entry (multilingual-e5-small: the message's views against each entry's
phrasings and its question + answer passage), an exact known phrasing first, then a decision.

``FaqEngine.build(entries, config)`` builds an immutable index; ``engine.decide(text)``
returns a :class:`FaqDecision`. Entries sharing a question (``faq.overlap.question_key``: two
active versions holding the same question) are one candidate: its score is the best of theirs,
its entry the one listed first (the caller lists entries in order of preference), so the same
question is never offered twice nor taken for ambiguity. Engines are immutable after build,
so a built engine can be shared by any number of threads/tasks; :class:`faq.holder.IndexHolder`
swaps them. Settings and how they were fitted: docs/faq.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import bm25s
import numpy as np
from rapidfuzz import fuzz

from faq.bounds import MAX_QUERY_WORDS, MAX_WORD_CHARS, bound_query
from faq.lexicon import Lexicon, lexicon_from
from faq.model import Candidate, FaqDecision, FaqEntry
from faq.normalize import clean_spaces, fold, normalize
from faq.overlap import question_key
from faq.semantic import SemanticIndex, cache_for
from faq.text import may_answer, question_focus, terms


@dataclass(frozen=True)
class EngineConfig:
    """Ranking switches and decision thresholds (fitted on both development FAQ sets, docs/faq.md)."""

    # ranking parts
    use_pairs: bool = True
    use_lexicon: bool = True
    lexicon_path: str | None = None  # a deployment's lexicon file (HUB_FAQ_LEXICON); None: shipped
    embedding_store: str | None = None  # SQLite file keeping embeddings across restarts (HUB_FAQ_EMBEDDINGS)
    use_answer_field: bool = True
    answer_weight: float = 0.35
    use_focus: bool = True
    focus_weight: float = 1.0
    use_fuzzy: bool = False
    fuzzy_weight: float = 0.15
    use_semantic: bool = True
    semantic_weight: float = 0.25  # message ~ the entry's phrasings (query to query)
    # cosines of e5 are squeezed into ~0.8-0.97: map (cos - center) / scale
    semantic_center: float = 0.85
    semantic_scale: float = 0.10
    passage_weight: float = 0.75  # message ~ the entry's question + answer (query to passage)
    passage_center: float = 0.80
    passage_words: int = 128  # of question + answer embedded at import; 0: no passage score
    semantic_max_words: int = 24  # words per view the model reads (encoding grows with length)
    semantic_all: bool = True  # dense retrieval over every entry (else: re-rank the lexical top-k)
    semantic_max_views: int = 3  # a long message: its question focus and last sentence windows
    semantic_restore: bool = True  # restore diacritics from the FAQ vocabulary before encoding
    # every call reads a bounded prefix (faq/bounds.py): its cost does not grow with the message
    max_query_words: int = MAX_QUERY_WORDS
    max_word_chars: int = MAX_WORD_CHARS
    rerank_k: int = 10
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    # decision (on the combined score in [0, ~1.5] and the gap to the runner-up)
    answer_threshold: float = 1.45  # fitted on both FAQ sets at once (docs/faq.md, "Thresholds")
    answer_margin: float = 0.15
    suggest_threshold: float = 0.35
    max_suggestions: int = 3
    min_candidates: int = 3

    @classmethod
    def lexical_only(cls) -> EngineConfig:
        """No model: builds in about a second per 1,000 entries; its own tuned thresholds."""
        return cls(use_semantic=False, answer_threshold=0.45, answer_margin=0.1, suggest_threshold=0.2)


@dataclass(frozen=True)
class Scored:
    """Per-candidate features, kept for calibration and ablation."""

    index: int
    lexical: float
    fuzzy: float = 0.0
    semantic: float = 0.0
    score: float = 0.0


@dataclass
class _Field:
    retriever: bm25s.BM25
    idf: dict[str, float] = field(default_factory=dict)


def _bm25(docs: list[list[str]], config: EngineConfig) -> bm25s.BM25:
    retriever = bm25s.BM25(k1=config.bm25_k1, b=config.bm25_b)
    retriever.index([d if d else ["\u2205"] for d in docs], show_progress=False)
    return retriever


MAX_QUERY_TF = 3


def _cap_repeats(items: list[str], limit: int) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for t in items:
        seen[t] = seen.get(t, 0) + 1
        if seen[t] <= limit:
            out.append(t)
    return out


def _idf_table(docs: list[list[str]]) -> dict[str, float]:
    n = len(docs)
    df: dict[str, int] = {}
    for d in docs:
        for t in set(d):
            df[t] = df.get(t, 0) + 1
    return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}


def _canonical(entries: Sequence[FaqEntry]) -> tuple[np.ndarray, dict[int, tuple[int, ...]]]:
    """Each entry's representative (the first entry with the same question key) and the
    members of every group of more than one entry. Only equal keys: a near-duplicate may be
    another question ("… lái xe" / "… lái xe ô tô"), it is flagged at upload instead."""
    keys = [question_key(e.question) or f"\0{i}" for i, e in enumerate(entries)]
    first: dict[str, int] = {}
    canon = np.array([first.setdefault(k, i) for i, k in enumerate(keys)], dtype=np.int64)
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(canon.tolist()):
        groups.setdefault(c, []).append(i)
    return canon, {c: tuple(m) for c, m in groups.items() if len(m) > 1}


class FaqEngine:
    """Immutable FAQ index + matcher."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        config: EngineConfig,
        lexicon: Lexicon | None,
        question_field: _Field,
        answer_field: _Field | None,
        fuzzy_texts: list[list[str]],
        semantic: SemanticIndex | None,
    ) -> None:
        self.entries = tuple(entries)
        self.config = config
        self._lexicon = lexicon
        self._q = question_field
        self._a = answer_field
        self._fuzzy_texts = fuzzy_texts
        self._semantic = semantic
        self._canon, self._shared = _canonical(self.entries)
        # a message that is one of an entry's phrasings (question_key) is that entry's question
        self._known: dict[str, int] = {}
        for i, e in enumerate(self.entries):
            for p in e.phrasings():
                self._known.setdefault(question_key(p), int(self._canon[i]))
        self._n_questions = len(self.entries) - sum(len(m) - 1 for m in self._shared.values())

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        entries: Sequence[FaqEntry],
        config: EngineConfig | None = None,
        lexicon: Lexicon | None = None,
        semantic: SemanticIndex | None = None,
    ) -> FaqEngine:
        """Index ``entries``. ``semantic`` may be passed pre-built (it is the slow part)."""
        cfg = config or EngineConfig()
        if not entries:
            raise ValueError("Không có câu hỏi nào để lập chỉ mục")
        lex = (lexicon or lexicon_from(cfg.lexicon_path)) if cfg.use_lexicon else None
        q_docs = [cls._question_terms(e, lex, cfg) for e in entries]
        q_field = _Field(_bm25(q_docs, cfg), _idf_table(q_docs))
        a_field = None
        if cfg.use_answer_field:
            a_docs = [terms(e.answer, lex, cfg.use_pairs) for e in entries]
            a_field = _Field(_bm25(a_docs, cfg), _idf_table(a_docs))
        fuzzy_texts = [[clean_spaces(fold(normalize(p))) for p in e.phrasings()] for e in entries]
        sem = (semantic or cls.semantic_index(entries, cfg)) if cfg.use_semantic else None
        return cls(entries, cfg, lex, q_field, a_field, fuzzy_texts, sem)

    @staticmethod
    def semantic_index(entries: Sequence[FaqEntry], cfg: EngineConfig) -> SemanticIndex:
        """The semantic index of ``entries`` with ``cfg``'s settings (the slow part of a build)."""
        return SemanticIndex.build(
            entries,
            cfg.semantic_max_words,
            restore=cfg.semantic_restore,
            prefix_words=cfg.max_query_words,
            word_chars=cfg.max_word_chars,
            passage_words=cfg.passage_words,
            max_views=cfg.semantic_max_views,
            cache=cache_for(cfg.embedding_store),
        )

    @staticmethod
    def _question_terms(entry: FaqEntry, lex: Lexicon | None, cfg: EngineConfig) -> list[str]:
        out: list[str] = []
        for text in (*entry.phrasings(), *entry.keywords):
            out.extend(terms(text, lex, cfg.use_pairs))
        return out

    @property
    def semantic(self) -> SemanticIndex | None:
        """The semantic index, if the engine has one (its ``prepare`` is the query the model sees)."""
        return self._semantic

    def with_config(self, config: EngineConfig) -> FaqEngine:
        """Same index, other decision thresholds/weights (ranking switches need a rebuild)."""
        return FaqEngine(
            self.entries, config, self._lexicon, self._q, self._a, self._fuzzy_texts, self._semantic
        )

    # ------------------------------------------------------------------ rank
    def prepare_query(self, text: str) -> str:
        """The part of a message every ranking step reads: its first ``max_query_words``
        words, each cut to ``max_word_chars`` characters (the message itself unchanged when
        it is within bounds)."""
        return bound_query(text, self.config.max_query_words, self.config.max_word_chars)

    def _lexical_scores(self, text: str) -> np.ndarray:
        cfg = self.config
        # a term counts at most MAX_QUERY_TF times: repeating a word must not inflate the score
        q_terms = _cap_repeats(terms(text, self._lexicon, cfg.use_pairs), MAX_QUERY_TF)
        if not q_terms:
            return np.zeros(len(self.entries), dtype=np.float32)
        # Normalise by the query's own weight in the question field: ~ IDF-weighted coverage.
        norm = sum(self._q.idf.get(t, 0.0) for t in q_terms) or 1.0
        scores = np.asarray(self._q.retriever.get_scores(q_terms), dtype=np.float32) / norm
        if self._a is not None:
            a_norm = sum(self._a.idf.get(t, 0.0) for t in q_terms) or 1.0
            a_scores = np.asarray(self._a.retriever.get_scores(q_terms), dtype=np.float32) / a_norm
            scores = scores + cfg.answer_weight * a_scores
        return scores

    def lexical(self, text: str) -> np.ndarray:
        """Lexical score of every entry for a message (whole message + its question part)."""
        text = self.prepare_query(text)
        scores = self._lexical_scores(text)
        if self.config.use_focus:
            focus = question_focus(text)
            if focus is not None:
                scores = (scores + self.config.focus_weight * self._lexical_scores(focus)) / (
                    1 + self.config.focus_weight
                )
        return scores

    def _fuzzy(self, text: str, idx: int) -> float:
        query = clean_spaces(fold(normalize(question_focus(text) or text)))
        return max(fuzz.token_set_ratio(query, t) for t in self._fuzzy_texts[idx]) / 100.0

    def _by_question(self, lex: np.ndarray) -> np.ndarray:
        """Score per question: a group's best on its representative, -inf on the others."""
        if not self._shared:
            return lex
        best = np.full(len(lex), -np.inf, dtype=np.float64)
        np.maximum.at(best, self._canon, lex.astype(np.float64))
        return best

    def _pool(self, scores: np.ndarray) -> list[int]:
        """The entries of the ``rerank_k`` best questions by ``scores`` (every member of a
        shared question)."""
        cfg = self.config
        per_question = self._by_question(scores)
        k = min(max(cfg.rerank_k, cfg.min_candidates), self._n_questions)
        top = np.argpartition(-per_question, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        return [m for c in top.tolist() for m in self._shared.get(int(c), (int(c),))]

    def rank(self, text: str) -> list[Scored]:
        """Candidates best first, one per question, with their features and combined score.

        Entries sharing a question are scored each; the question's candidate carries the best
        score and the index of the group's representative (the entry listed first)."""
        cfg = self.config
        text = self.prepare_query(text)
        lex = self.lexical(text)
        if self._semantic is not None and cfg.semantic_all:
            return self._fused(text, lex)
        pool = self._pool(lex)
        sem_scores: dict[int, float] = {}
        if self._semantic is not None:
            sem_scores = self._semantic.scores(text, pool)
        best: dict[int, Scored] = {}
        for i in pool:
            fz = self._fuzzy(text, i) if cfg.use_fuzzy else 0.0
            sem = (sem_scores[i] - cfg.semantic_center) / cfg.semantic_scale if i in sem_scores else 0.0
            score = float(lex[i]) + cfg.fuzzy_weight * fz + cfg.semantic_weight * sem
            c = int(self._canon[i])
            if c not in best or score > best[c].score:
                best[c] = Scored(c, float(lex[i]), fz, sem, score)
        out = list(best.values())
        out.sort(key=lambda s: s.score, reverse=True)
        return out

    def _fused(self, text: str, lex: np.ndarray) -> list[Scored]:
        """Dense retrieval over every entry fused with the lexical ranking: each entry's score
        is its lexical score plus its semantic score (the best cosine of any view of the
        message), so an entry sharing no word with the message still competes."""
        cfg = self.config
        assert self._semantic is not None
        by_question, by_passage = self._semantic.all_scores(text)
        sem = cfg.semantic_weight * (by_question - cfg.semantic_center) / cfg.semantic_scale
        if by_passage is not None:
            sem = sem + cfg.passage_weight * (by_passage - cfg.passage_center) / cfg.semantic_scale
        combined = lex.astype(np.float64) + sem
        best: dict[int, Scored] = {}
        for i in self._pool(combined):
            c = int(self._canon[i])
            if c not in best or combined[i] > best[c].score:
                best[c] = Scored(c, float(lex[i]), 0.0, float(sem[i]), float(combined[i]))
        return sorted(best.values(), key=lambda x: x.score, reverse=True)

    # ------------------------------------------------------------------ decide
    def decide(self, text: str) -> FaqDecision:
        text = self.prepare_query(text)
        ranked = self._known_first(question_key(text), self.rank(text))
        return self.decide_ranked(ranked, may_answer=may_answer(text))

    def _known_first(self, key: str, ranked: list[Scored]) -> list[Scored]:
        """A message that is one of an entry's phrasings (an officer accepted it as a
        "câu hỏi tương tự", or it is the question itself) is that entry's question: it leads,
        scored at least at the answer threshold and margin (the gate of may_answer still holds)."""
        cfg = self.config
        known = self._known.get(key) if key else None
        if known is None or not math.isfinite(cfg.answer_threshold):  # an index that never answers
            return ranked
        others = [s for s in ranked if s.index != known]
        own = next((s for s in ranked if s.index == known), Scored(known, 0.0))
        floor = max(cfg.answer_threshold, (others[0].score if others else 0.0) + cfg.answer_margin)
        return [replace(own, score=max(own.score, floor)), *others]

    def decide_ranked(self, ranked: list[Scored], may_answer: bool = True) -> FaqDecision:
        cfg = self.config
        cands = [Candidate(self.entries[s.index], round(s.score, 4)) for s in ranked]
        if not ranked:
            return FaqDecision("handoff", None, cands)
        top = ranked[0].score
        second = ranked[1].score if len(ranked) > 1 else 0.0
        if may_answer and top >= cfg.answer_threshold and top - second >= cfg.answer_margin:
            return FaqDecision("answer", cands[0].entry, cands)
        if top >= cfg.suggest_threshold:
            return FaqDecision("suggest", None, cands)
        return FaqDecision("handoff", None, cands)

    def suggestions(self, decision: FaqDecision) -> list[FaqEntry]:
        """Entries to offer as numbered choices for a "suggest" decision."""
        return [c.entry for c in decision.candidates[: self.config.max_suggestions]]


def tuned(config: EngineConfig, **changes: float) -> EngineConfig:
    return replace(config, **changes)  # type: ignore[arg-type]
