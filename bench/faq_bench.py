"""FAQ engine benchmark: per-query matching latency, index build time and memory.

Run: ``.venv/bin/python bench/faq_bench.py [--faq FAQ.csv] [--queries QUERIES.csv] [--sizes 100 1000 10000]``

How the large FAQ sets are synthesised (honestly, from the dev FAQ only):
  * the 60 real dev entries are always included (so the dev queries have their true targets);
  * every further entry is a distinct new entry built from two different dev entries: the
    question is "<population group> ở <place>: <first half of question i> <second half of
    question j>" and the answer is the first sentence of answer i + the last sentence of
    answer j. Groups (12) x places (40, Thanh Hóa districts/communes) x ordered pairs give far
    more than 10,000 distinct questions that share the real vocabulary, which is the hard case
    for lexical ranking (many near-neighbours) and for BM25 posting lists.
Queries are the dev queries (all kinds, including long messages), each timed end to end
through ``FaqEngine.decide`` (normalisation, BM25, semantic model, re-ranking, decision).

Prints, per size: index build time (lexical part and semantic part separately), p50/p95/max
latency per query, and process RSS after the build. The encoder threads as in production
(``faq.semantic.encoder_threads``: 2 on this machine; ``FAQ_ENCODER_THREADS=1`` for one).
The time from ``faq import`` of a 5,000-row file to the new version answering in a running hub
is not measured here: it needs the hub's database side (see docs/faq.md).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faq.engine import EngineConfig, FaqEngine
from faq.evaluate import read_queries
from faq.importer import load_entries
from faq.model import FaqEntry
from faq.semantic import encoder_threads, load_model

GROUPS = [
    "Người cao tuổi",
    "Học sinh",
    "Sinh viên",
    "Công nhân",
    "Tiểu thương",
    "Hộ nghèo",
    "Người khuyết tật",
    "Phụ nữ mang thai",
    "Tài xế",
    "Doanh nghiệp nhỏ",
    "Hộ kinh doanh",
    "Người lao động tự do",
]
PLACES = (
    "Sầm Sơn, Bỉm Sơn, Nghi Sơn, Hoằng Hóa, Hậu Lộc, Nga Sơn, Hà Trung, Vĩnh Lộc, Thạch Thành, "
    "Cẩm Thủy, Ngọc Lặc, Lang Chánh, Bá Thước, Quan Hóa, Quan Sơn, Mường Lát, Thường Xuân, "
    "Như Xuân, Như Thanh, Nông Cống, Triệu Sơn, Thọ Xuân, Yên Định, Thiệu Hóa, Đông Sơn, "
    "Quảng Xương, Hoằng Phụ, Hoằng Lộc, Quảng Tiến, Đông Hương, Điện Biên, Lam Sơn, Ba Đình, "
    "Ngọc Trạo, Phú Sơn, Trường Thi, Đông Thọ, Quảng Thắng, Tân Sơn, Hàm Rồng"
).split(", ")
_SENT = re.compile(r"(?<=[.!?])\s+")


def synthesise(base: list[FaqEntry], size: int) -> list[FaqEntry]:
    """``size`` distinct entries: the real ones first, then recombinations (see module doc)."""
    out = list(base[:size])
    seen = {e.question for e in out}
    n = len(base)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    combos = len(GROUPS) * len(PLACES)
    for r in range(combos):  # every pair meets every (group, place) once: finite and distinct
        for idx, (i, j) in enumerate(pairs):
            if len(out) >= size:
                return out
            gp = (r + idx) % combos
            g, p = GROUPS[gp % len(GROUPS)], PLACES[gp // len(GROUPS)]
            qi, qj = base[i].question.rstrip("?").split(), base[j].question.rstrip("?").split()
            question = f"{g} ở {p}: {' '.join(qi[: len(qi) // 2])} {' '.join(qj[len(qj) // 2 :])}?"
            if question in seen:
                continue
            seen.add(question)
            ai, aj = _SENT.split(base[i].answer), _SENT.split(base[j].answer)
            out.append(
                FaqEntry(
                    id=f"S{len(out):05d}",
                    question=question,
                    answer=f"{ai[0]} {aj[-1]}",
                    domain=base[i].domain,
                    agency=base[j].agency,
                )
            )
    return out


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_size(base: list[FaqEntry], queries: list[str], size: int, config: EngineConfig) -> None:
    entries = synthesise(base, size)
    t0 = time.perf_counter()
    semantic = FaqEngine.semantic_index(entries, config) if config.use_semantic else None  # timed apart
    t1 = time.perf_counter()
    engine = FaqEngine.build(entries, config, semantic=semantic)
    t2 = time.perf_counter()
    for q in queries[:5]:  # warm caches
        engine.decide(q)
    lat = []
    for q in queries:
        s = time.perf_counter()
        engine.decide(q)
        lat.append((time.perf_counter() - s) * 1000)
    print(
        f"{size:>7} | build lexical {t2 - t1:7.2f} s | build semantic {t1 - t0:7.1f} s | "
        f"p50 {statistics.median(lat):6.1f} ms | p95 {pct(lat, 0.95):6.1f} ms | max {max(lat):6.1f} ms | "
        f"RSS {rss_mb():6.0f} MB",
        flush=True,
    )


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    p = argparse.ArgumentParser()
    p.add_argument("--faq", default=str(root / "tests/faq/data/faq_dev.csv"))
    p.add_argument("--queries", default="/work/shared/eval/dev/queries.csv")
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    p.add_argument("--lexical-only", action="store_true", help="also time the engine without the model")
    p.add_argument(
        "--embeddings",
        default=None,
        help="SQLite file keeping embeddings between runs (as HUB_FAQ_EMBEDDINGS does for the hub): "
        "the first run encodes and stores them, later runs time a build that reads them",
    )
    args = p.parse_args()
    base = load_entries(Path(args.faq))
    queries = [q.text for q in read_queries(Path(args.queries))[0]]
    t = time.perf_counter()
    load_model()
    print(
        f"model load {time.perf_counter() - t:.2f} s, RSS {rss_mb():.0f} MB; {len(queries)} queries per size"
    )
    print(f"{'entries':>7} | timings per query include normalisation, BM25, e5 encoding, re-rank, decision")
    print(f"encoder threads {encoder_threads()} (FAQ_ENCODER_THREADS), embeddings kept in {args.embeddings}")
    configs = [("full engine", EngineConfig(embedding_store=args.embeddings))]
    if args.lexical_only:
        configs.append(("lexical only", EngineConfig(use_semantic=False)))
    for name, config in configs:
        print(f"-- {name}")
        for size in args.sizes:
            bench_size(base, queries, size, config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
