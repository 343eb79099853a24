"""The distractor figure (issue 12): a FAQ buried among many other entries.

The target FAQ set's entries are indexed together with the other development set's entries and
5,000 synthetic distinct entries recombined from that other set (``bench/faq_bench.py``'s
``synthesise``: "<group> ở <place>: <half of one question> <half of another>"), all with the
shipped settings. The target set's queries are scored on the target alone and on the whole;
the table shows how much top-1 and false answers move. Building the index embeds every
distractor's question and passage once (about 20 minutes for 5,000 on this machine).

    .venv/bin/python bench/faq_distractor.py [--target dev] [--synthetic 5000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.faq_bench import synthesise
from bench.faq_sets import HEADER, SETS, load_set, row, score
from faq.engine import FaqEngine


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", choices=sorted(SETS), default="dev")
    p.add_argument("--synthetic", type=int, default=5000)
    args = p.parse_args(argv)
    target = load_set(args.target)
    other = load_set(next(n for n in SETS if n != args.target))
    distractors = [
        replace(e, id=f"X-{e.id}") for e in synthesise(other.entries, len(other.entries) + args.synthetic)
    ]
    started = time.perf_counter()
    alone = score(FaqEngine.build(target.entries), target.queries)
    built = time.perf_counter()
    buried_engine = FaqEngine.build([*target.entries, *distractors])
    buried = score(buried_engine, target.queries)
    print(
        f"{args.target}: {len(target.entries)} entries, {len(target.queries)} queries; "
        f"distractors: {len(other.entries)} of {other.name} + {len(distractors) - len(other.entries)} "
        f"synthetic; built and scored in {time.perf_counter() - built:.0f} s "
        f"(the target alone: {built - started:.0f} s)"
    )
    print(HEADER)
    print(row(f"{args.target} alone", alone))
    print(row(f"{args.target} among {len(buried_engine.entries)} entries", buried))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
