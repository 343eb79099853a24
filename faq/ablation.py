"""Ablation: what each ranking part contributes (top-1/top-3 per kind, cost per query).

``python -m faq.ablation --faq FILE --queries QUERIES.csv``. Rows add one part at a time, then
remove one part at a time from the full engine; two naive baselines are included for scale.
Decision metrics are not shown per row: thresholds are tuned for the full engine only.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from faq.engine import EngineConfig, FaqEngine
from faq.evaluate import Query, read_queries
from faq.importer import load_entries
from faq.model import FaqEntry
from faq.normalize import nfc, tokens

Ranker = Callable[[str], list[str]]

BARE = EngineConfig(
    use_pairs=False,
    use_lexicon=False,
    use_answer_field=False,
    use_focus=False,
    use_fuzzy=False,
    use_semantic=False,
)
STEPS: list[tuple[str, EngineConfig]] = [
    ("BM25 folded syllables", BARE),
    ("+ syllable pairs", replace(BARE, use_pairs=True)),
    ("+ domain lexicon", replace(BARE, use_pairs=True, use_lexicon=True)),
    ("+ answer field", replace(BARE, use_pairs=True, use_lexicon=True, use_answer_field=True)),
    ("+ question focus", EngineConfig(use_semantic=False)),
    ("+ e5 semantic (= full)", EngineConfig()),
    ("full - diacritic restoration", EngineConfig(semantic_restore=False)),
    ("full - question focus", EngineConfig(use_focus=False)),
    ("full - answer field", EngineConfig(use_answer_field=False)),
    ("full - domain lexicon", EngineConfig(use_lexicon=False)),
    ("full - syllable pairs", EngineConfig(use_pairs=False)),
    ("full + rapidfuzz re-rank", EngineConfig(use_fuzzy=True)),
    ("e5 semantic alone (restored)", EngineConfig(semantic_weight=100.0, rerank_k=10_000)),
]


def naive_fuzzy(entries: Sequence[FaqEntry]) -> Ranker:
    questions = [nfc(e.question).lower() for e in entries]

    def rank(text: str) -> list[str]:
        hits = process.extract(nfc(text).lower(), questions, scorer=fuzz.token_set_ratio, limit=3)
        return [entries[h[2]].id for h in hits]

    return rank


def naive_bm25_underthesea(entries: Sequence[FaqEntry]) -> Ranker:
    retriever = bm25s.BM25()
    retriever.index([tokens(e.question) or ["-"] for e in entries], show_progress=False)

    def rank(text: str) -> list[str]:
        scores = np.asarray(retriever.get_scores(tokens(text)))
        return [entries[i].id for i in np.argsort(-scores)[:3]]

    return rank


def engine_ranker(engine: FaqEngine) -> Ranker:
    return lambda text: [engine.entries[s.index].id for s in engine.rank(text)[:3]]


def score(rank: Ranker, queries: Sequence[Query]) -> tuple[dict[str, tuple[float, float]], float]:
    hits: dict[str, list[tuple[bool, bool]]] = {}
    start = time.perf_counter()
    for q in queries:
        ids = rank(q.text)
        if q.expected_id:
            h = (ids[0] == q.expected_id, q.expected_id in ids[:3])
            hits.setdefault("ALL", []).append(h)
            hits.setdefault(q.kind, []).append(h)
    ms = (time.perf_counter() - start) * 1000 / max(len(queries), 1)
    table = {
        k: (float(np.mean([a for a, _ in v])), float(np.mean([b for _, b in v]))) for k, v in hits.items()
    }
    return table, ms


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m faq.ablation")
    p.add_argument("--faq", required=True)
    p.add_argument("--queries", required=True)
    args = p.parse_args(argv)
    entries = load_entries(Path(args.faq))
    queries, _ = read_queries(Path(args.queries))
    kinds = sorted({q.kind for q in queries if q.expected_id})
    print(f"| variant | top-1 | top-3 | {' | '.join(kinds)} | ms/query |")
    print("|---|---|---|" + "---|" * len(kinds) + "---|")
    rankers: list[tuple[str, Callable[[], Ranker]]] = [
        ("naive: rapidfuzz token-set", lambda: naive_fuzzy(entries)),
        ("naive: BM25 underthesea words", lambda: naive_bm25_underthesea(entries)),
    ]

    def build(cfg: EngineConfig) -> Callable[[], Ranker]:
        return lambda: engine_ranker(FaqEngine.build(entries, cfg))

    rankers += [(name, build(cfg)) for name, cfg in STEPS]
    for name, make in rankers:
        table, ms = score(make(), queries)
        per_kind = " | ".join(f"{table[k][0]:.3f}" for k in kinds)
        print(
            f"| {name} | {table['ALL'][0]:.3f} | {table['ALL'][1]:.3f} | {per_kind} | {ms:.1f} |", flush=True
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
