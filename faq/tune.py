"""Tune the decision thresholds by repeated k-fold cross-validation over queries.

``python -m faq.tune --faq FILE --queries QUERIES.csv`` ranks every query once, then for each
fold picks (answer_threshold, answer_margin) on the other folds (maximise answered-correctly
subject to wrong <= --max-wrong and false <= --max-false) and scores the held-out fold.
It prints the cross-validated estimate and the thresholds chosen on all data.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from faq.engine import EngineConfig, FaqEngine
from faq.evaluate import Query, read_queries
from faq.importer import load_entries
from faq.text import may_answer


@dataclass(frozen=True)
class Row:
    expected: str | None
    top_id: str
    top: float
    margin: float
    may_answer: bool


def collect(engine: FaqEngine, queries: Sequence[Query]) -> list[Row]:
    rows = []
    for q in queries:
        ranked = engine.rank(q.text)
        second = ranked[1].score if len(ranked) > 1 else 0.0
        rows.append(
            Row(
                q.expected_id,
                engine.entries[ranked[0].index].id,
                ranked[0].score,
                ranked[0].score - second,
                may_answer(q.text),
            )
        )
    return rows


def outcome(rows: Sequence[Row], threshold: float, margin: float) -> tuple[float, float, float]:
    """(answered correctly, wrong answers, false answers) for these thresholds."""
    answerable = [r for r in rows if r.expected]
    unanswerable = [r for r in rows if not r.expected]

    def answers(r: Row) -> bool:
        return r.may_answer and r.top >= threshold and r.margin >= margin

    ok = sum(answers(r) and r.top_id == r.expected for r in answerable) / max(len(answerable), 1)
    wrong = sum(answers(r) and r.top_id != r.expected for r in answerable) / max(len(answerable), 1)
    false = sum(answers(r) for r in unanswerable) / max(len(unanswerable), 1)
    return ok, wrong, false


GRID = [(t, m) for t in np.arange(0.3, 2.0, 0.05) for m in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)]


def best(rows: Sequence[Row], max_wrong: float, max_false: float) -> tuple[float, float]:
    def key(g: tuple[float, float]) -> tuple[bool, float, float]:
        ok, wrong, false = outcome(rows, *g)
        return (wrong <= max_wrong and false <= max_false, ok, g[0])

    t, m = max(GRID, key=key)
    return float(t), float(m)


def cross_validate(
    rows: Sequence[Row], max_wrong: float, max_false: float, folds: int = 5, repeats: int = 10
) -> np.ndarray:
    rng = np.random.default_rng(0)
    results = []
    for _ in range(repeats):
        parts = np.array_split(rng.permutation(len(rows)), folds)
        for k in range(folds):
            train = [rows[i] for j in range(folds) if j != k for i in parts[j]]
            test = [rows[i] for i in parts[k]]
            t, m = best(train, max_wrong, max_false)
            results.append((*outcome(test, t, m), t, m))
    return np.asarray(results)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m faq.tune")
    p.add_argument("--faq", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--max-wrong", type=float, default=0.02)
    p.add_argument("--max-false", type=float, default=0.03)
    p.add_argument("--lexical-only", action="store_true", help="tune the engine without the model")
    args = p.parse_args(argv)
    config = EngineConfig.lexical_only() if args.lexical_only else EngineConfig()
    engine = FaqEngine.build(load_entries(Path(args.faq)), config)
    queries, _ = read_queries(Path(args.queries))
    rows = collect(engine, queries)
    cv = cross_validate(rows, args.max_wrong, args.max_false)
    mean, sd = cv.mean(0), cv.std(0)
    print(
        f"5-fold x10 CV (held-out folds): answered correctly {mean[0]:.3f}±{sd[0]:.3f}, "
        f"wrong {mean[1]:.3f}±{sd[1]:.3f}, false {mean[2]:.3f}±{sd[2]:.3f}"
    )
    print(
        f"thresholds chosen per fold: answer_threshold {mean[3]:.2f}±{sd[3]:.2f}, "
        f"answer_margin {mean[4]:.2f}±{sd[4]:.2f}"
    )
    t, m = best(rows, args.max_wrong, args.max_false)
    ok, wrong, false = outcome(rows, t, m)
    print(
        f"on all data: answer_threshold={t:.2f} answer_margin={m:.2f} -> "
        f"ok/wrong/false = {ok:.3f}/{wrong:.3f}/{false:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
