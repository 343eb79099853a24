"""Evaluation: predictions for a query file and the metrics of the evaluation contract."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from faq.engine import FaqEngine
from faq.importer import decode_csv
from faq.model import FaqDecision
from faq.normalize import nfc


@dataclass(frozen=True)
class Query:
    text: str
    expected_id: str | None
    kind: str


@dataclass(frozen=True)
class Metrics:
    n: int
    top1: float
    top3: float
    answered_correctly: float
    wrong_answers: float
    n_unanswerable: int
    false_answers: float


def read_queries(path: Path) -> tuple[list[Query], bool]:
    """Queries in file order; the flag says whether an ``expected_id`` column exists."""
    reader = csv.DictReader(io.StringIO(decode_csv(path.read_bytes()), newline=""))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    if "query" not in fields:
        raise ValueError(f"{path}: thiếu cột 'query'")
    has_expected = "expected_id" in fields
    out = []
    for row in reader:
        row = {(k or "").strip(): (v or "") for k, v in row.items()}
        expected = row.get("expected_id", "").strip() or None
        out.append(Query(nfc(row["query"]), expected, row.get("kind", "").strip() or "-"))
    return out, has_expected


def prediction_record(query: str, decision: FaqDecision, n_candidates: int = 3) -> dict[str, object]:
    return {
        "query": query,
        "decision": decision.decision,
        "faq_id": decision.faq_id,
        "candidates": [
            {"faq_id": c.entry.id, "score": round(float(c.score), 4)}
            for c in decision.candidates[: max(n_candidates, 3)]
        ],
    }


def predict(engine: FaqEngine, queries: Sequence[Query]) -> list[FaqDecision]:
    return [engine.decide(q.text) for q in queries]


def write_jsonl(path: Path, queries: Sequence[Query], decisions: Sequence[FaqDecision]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for q, d in zip(queries, decisions, strict=True):
            fh.write(json.dumps(prediction_record(q.text, d), ensure_ascii=False) + "\n")


def metrics(pairs: Iterable[tuple[Query, FaqDecision]]) -> Metrics:
    answerable = unanswerable = top1 = top3 = correct = wrong = false = 0
    for q, d in pairs:
        ids = [c.entry.id for c in d.candidates]
        if q.expected_id is None:
            unanswerable += 1
            false += d.decision == "answer"
            continue
        answerable += 1
        top1 += bool(ids) and ids[0] == q.expected_id
        top3 += q.expected_id in ids[:3]
        if d.decision == "answer":
            correct += d.faq_id == q.expected_id
            wrong += d.faq_id != q.expected_id
    a = max(answerable, 1)
    return Metrics(
        answerable,
        top1 / a,
        top3 / a,
        correct / a,
        wrong / a,
        unanswerable,
        false / max(unanswerable, 1),
    )


def metrics_by_kind(queries: Sequence[Query], decisions: Sequence[FaqDecision]) -> dict[str, Metrics]:
    pairs = list(zip(queries, decisions, strict=True))
    out = {"ALL": metrics(pairs)}
    for kind in sorted({q.kind for q in queries}):
        out[kind] = metrics([(q, d) for q, d in pairs if q.kind == kind])
    return out


def format_table(table: dict[str, Metrics]) -> str:
    head = f"{'kind':<14}{'n':>5}{'top1':>8}{'top3':>8}{'ans_ok':>8}{'wrong':>8}{'n_unans':>8}{'false':>8}"
    lines = [head, "-" * len(head)]
    for kind, m in table.items():
        lines.append(
            f"{kind:<14}{m.n:>5}{m.top1:>8.3f}{m.top3:>8.3f}{m.answered_correctly:>8.3f}"
            f"{m.wrong_answers:>8.3f}{m.n_unanswerable:>8}{m.false_answers:>8.3f}"
        )
    return "\n".join(lines)
