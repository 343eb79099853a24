"""NLU evaluation: repeated 5-fold cross-validation plus a fixed-seed held-out split.

Rasa shuffles cross-validation folds without a seed, so one run is a noisy figure. This
script runs ``rasa test nlu --cross-validation`` ``--runs`` times (in the Rasa virtualenv,
loopback only, outputs under a temporary directory) and prints the weighted intent F1 of
every run, their mean and minimum, and the per-intent table of the last run.

``--holdout`` adds a reproducible figure: ``rasa data split nlu --random-seed 1022
--training-fraction 0.8``, ``rasa train nlu`` on the 80 % and ``rasa test nlu`` on the
20 % (the pipeline has fixed seeds, so the same data and config give the same number).

    .venv/bin/python bench/nlu_eval.py                      # 3 x 5-fold CV
    .venv/bin/python bench/nlu_eval.py --runs 1 --holdout   # 1 x CV + held-out split
    .venv/bin/python bench/nlu_eval.py --runs 0 --holdout   # held-out split only

One CV run takes 2-3 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.rasa_process import rasa_env  # noqa: E402 - after the path insert

DEFAULT_RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
SUMMARY_ROWS = ("weighted avg", "macro avg")


class EvalError(RuntimeError):
    """A Rasa command failed or wrote no report."""


@dataclass(frozen=True)
class Row:
    name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    weighted_f1: float
    accuracy: float
    rows: list[Row]


def run_rasa(rasa: Path, args: Sequence[str], work: Path, log_name: str) -> None:
    log = work / f"{log_name}.log"
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [str(rasa), *args],
            cwd=ROOT,
            # private cache: no collision with other trainings
            env=rasa_env({"RASA_CACHE_DIRECTORY": str(work / "cache")}),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise EvalError(f"rasa {' '.join(args[:2])} failed ({done.returncode}); log {log}:\n{tail}")


def read_report(out_dir: Path) -> Report:
    path = out_dir / "intent_report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise EvalError(f"no readable intent report at {path}") from err
    rows = [
        Row(name, float(v["precision"]), float(v["recall"]), float(v["f1-score"]), int(v["support"]))
        for name, v in data.items()
        if isinstance(v, dict) and "f1-score" in v and name != "micro avg"
    ]
    intents = sorted((r for r in rows if r.name not in SUMMARY_ROWS), key=lambda r: r.name)
    summary = [r for name in SUMMARY_ROWS for r in rows if r.name == name]
    weighted = next(r.f1 for r in summary if r.name == "weighted avg")
    return Report(weighted, float(data.get("accuracy", 0.0)), intents + summary)


def cross_validate(rasa: Path, nlu: Path, config: Path, folds: int, work: Path) -> Report:
    out = work / "cv"
    args = ["test", "nlu", "--nlu", str(nlu), "--config", str(config)]
    run_rasa(rasa, [*args, "--cross-validation", "--folds", str(folds), "--out", str(out)], work, "cv")
    return read_report(out)


def held_out(rasa: Path, nlu: Path, config: Path, seed: int, fraction: float, work: Path) -> Report:
    split = work / "split"
    run_rasa(
        rasa,
        [
            *("data", "split", "nlu", "--nlu", str(nlu), "--random-seed", str(seed)),
            *("--training-fraction", str(fraction), "--out", str(split)),
        ],
        work,
        "split",
    )
    train_file, test_file = split / "training_data.yml", split / "test_data.yml"
    models = work / "models"
    run_rasa(
        rasa,
        [
            *("train", "nlu", "--nlu", str(train_file), "--config", str(config)),
            *("--out", str(models), "--fixed-model-name", "heldout"),
        ],
        work,
        "train",
    )
    out = work / "test"
    model = models / "heldout.tar.gz"
    run_rasa(
        rasa, ["test", "nlu", "--nlu", str(test_file), "--model", str(model), "--out", str(out)], work, "test"
    )
    return read_report(out)


def format_table(report: Report) -> str:
    lines = [f"{'intent':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>7}"]
    for r in report.rows:
        lines.append(f"{r.name:<20} {r.precision:>9.3f} {r.recall:>7.3f} {r.f1:>6.3f} {r.support:>7d}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="cross-validation runs (0: none)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--holdout", action="store_true", help="also the fixed-seed held-out split")
    p.add_argument("--seed", type=int, default=1022, help="held-out split seed")
    p.add_argument("--fraction", type=float, default=0.8, help="held-out training fraction")
    p.add_argument("--nlu", type=Path, default=ROOT / "nlu_data" / "nlu.yml")
    p.add_argument("--config", type=Path, default=ROOT / "config.yml")
    p.add_argument("--rasa", type=Path, default=DEFAULT_RASA, help="rasa executable")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: a temp dir)")
    args = p.parse_args(argv)
    if args.runs < 0 or args.folds < 2 or not 0.0 < args.fraction < 1.0:
        p.error("need --runs >= 0, --folds >= 2 and 0 < --fraction < 1")
    if args.runs == 0 and not args.holdout:
        p.error("nothing to do: --runs 0 without --holdout")
    if not args.rasa.exists():
        p.error(f"no rasa executable at {args.rasa} (create the Rasa virtualenv first)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    base = args.out or Path(tempfile.mkdtemp(prefix="nlu_eval-"))
    nlu, config = args.nlu.resolve(), args.config.resolve()
    print(f"data {nlu}, config {config}, outputs under {base}", flush=True)
    scores: list[float] = []
    last: Report | None = None
    for i in range(1, args.runs + 1):
        work = base / f"run{i}"
        work.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        last = cross_validate(args.rasa, nlu, config, args.folds, work)
        scores.append(last.weighted_f1)
        took = time.monotonic() - started
        print(
            f"CV run {i}: intent F1 (weighted) {last.weighted_f1:.3f}, "
            f"accuracy {last.accuracy:.3f} ({took:.0f} s)"
        )
    if last is not None:
        print(
            f"\n{args.runs} x {args.folds}-fold CV: F1 (weighted) "
            + ", ".join(f"{s:.3f}" for s in scores)
            + f"; mean {statistics.fmean(scores):.3f}, min {min(scores):.3f}"
        )
        print(f"\nper-intent table of CV run {args.runs}:\n{format_table(last)}")
    if args.holdout:
        work = base / "holdout"
        work.mkdir(parents=True, exist_ok=True)
        report = held_out(args.rasa, nlu, config, args.seed, args.fraction, work)
        print(
            f"\nheld-out split (seed {args.seed}, train {args.fraction:.0%}): "
            f"F1 (weighted) {report.weighted_f1:.3f}, accuracy {report.accuracy:.3f}\n{format_table(report)}"
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except EvalError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
