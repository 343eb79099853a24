"""Learning from use, replayed (issue 12): how much accepted phrasings help on new messages.

For each FAQ set, the answerable queries are split in two halves (stratified by kind, seeded).
One half is the accepted history: each of its queries becomes a "câu hỏi tương tự" (an
alternative phrasing) of its expected entry, as an officer accepting the proposal from a
tapped suggestion would add it (``bot/faq_learning.py``). The other half, with every
unanswerable query, is scored before and after, through the same engine and settings. Both
halves take each role once; the table gives the mean of the two.

    .venv/bin/python bench/faq_replay.py [--sets dev public-services]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.faq_sets import HEADER, SETS, FaqSet, load_set, row, score
from faq.engine import FaqEngine
from faq.evaluate import Metrics, Query
from faq.model import FaqEntry


def halves(queries: list[Query], seed: int = 1022) -> tuple[list[Query], list[Query]]:
    by_kind: defaultdict[str, list[Query]] = defaultdict(list)
    for q in queries:
        if q.expected_id is not None:
            by_kind[q.kind].append(q)
    rng = random.Random(seed)
    a: list[Query] = []
    b: list[Query] = []
    for kind in sorted(by_kind):
        group = by_kind[kind]
        rng.shuffle(group)
        a.extend(group[: len(group) // 2])
        b.extend(group[len(group) // 2 :])
    return a, b


def with_history(entries: list[FaqEntry], history: list[Query]) -> list[FaqEntry]:
    extra: defaultdict[str, list[str]] = defaultdict(list)
    for q in history:
        assert q.expected_id is not None
        extra[q.expected_id].append(q.text)
    return [replace(e, alternatives=(*e.alternatives, *extra.get(e.id, ()))) for e in entries]


def mean(ms: list[Metrics]) -> Metrics:
    def avg(name: str) -> float:
        return sum(float(getattr(m, name)) for m in ms) / len(ms)

    return Metrics(
        round(avg("n")),
        avg("top1"),
        avg("top3"),
        avg("answered_correctly"),
        avg("wrong_answers"),
        round(avg("n_unanswerable")),
        avg("false_answers"),
    )


def replay(s: FaqSet) -> tuple[Metrics, Metrics]:
    before = FaqEngine.build(s.entries)
    unanswerable = [q for q in s.queries if q.expected_id is None]
    a, b = halves(s.queries)
    olds, news = [], []
    for history, held in ((a, b), (b, a)):
        after = FaqEngine.build(with_history(s.entries, history))
        olds.append(score(before, held + unanswerable))
        news.append(score(after, held + unanswerable))
    return mean(olds), mean(news)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", choices=sorted(SETS), default=sorted(SETS))
    args = p.parse_args(argv)
    print(HEADER)
    for name in args.sets:
        before, after = replay(load_set(name))
        print(row(f"{name}: before (held-out half)", before))
        print(row(f"{name}: after the other half was accepted", after), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
