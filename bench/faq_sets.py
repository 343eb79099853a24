"""The two development FAQ sets (``../shared/eval/dev`` and ``../shared/eval/dev-public-services``)
and the metrics every FAQ bench prints for a set of queries."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from faq.engine import FaqEngine
from faq.evaluate import Metrics, Query, metrics, read_queries
from faq.importer import load_entries
from faq.model import FaqEntry

EVAL = Path(os.environ.get("HUB_EVAL_DIR", Path(__file__).resolve().parents[2] / "shared" / "eval"))
SETS = {"dev": "dev", "public-services": "dev-public-services"}


@dataclass(frozen=True)
class FaqSet:
    name: str
    entries: list[FaqEntry]
    queries: list[Query]


def load_set(name: str, root: Path = EVAL) -> FaqSet:
    folder = root / SETS[name]
    return FaqSet(name, load_entries(folder / "faq.csv"), read_queries(folder / "queries.csv")[0])


def score(engine: FaqEngine, queries: Sequence[Query]) -> Metrics:
    return metrics((q, engine.decide(q.text)) for q in queries)


def row(label: str, m: Metrics) -> str:
    return (
        f"| {label} | {m.top1:.3f} | {m.top3:.3f} | {m.answered_correctly:.3f} | "
        f"{m.wrong_answers:.3f} | {m.false_answers:.3f} |"
    )


HEADER = "| | top-1 | top-3 | answered right | wrong | false |\n|---|---|---|---|---|---|"
