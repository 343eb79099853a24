"""The FAQ encoder's time per text by length and threads (issue 12's latency).

Run: ``.venv/bin/python bench/encoder_bench.py [--threads 1 2] [--busy 0 1 2]``

For each number of threads (``FAQ_ENCODER_THREADS``), each OpenMP wait policy (``PASSIVE``:
waiting threads sleep, the project's default; ``ACTIVE``: they spin, OpenMP's usual default)
and each number of busy cores (pure-Python loops started beside it), a fresh process loads the
model and times 15 encodings of texts of 8, 24 and 48 words and of three 24-word views at once
(a long message). Prints medians in ms. The machine is shared: compare within one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (
    "cho tôi hỏi là tôi đi từ Hà Nội về Thanh Hóa thì có phải cách ly tập trung không và phải "
    "làm xét nghiệm ở đâu"
).split()


def measure() -> None:
    sys.path.insert(0, str(ROOT))
    from faq.semantic import load_model

    model = load_model()
    cells = []
    for n in (8, 24, 48):
        text = " ".join((TEXT * 3)[:n])
        cells.append(_median(lambda t=text: model.query(t)))
    view = " ".join((TEXT * 3)[:24])
    cells.append(_median(lambda: model.query([view, view, view])))
    print(" ".join(f"{c:.1f}" for c in cells))


def _median(call: object, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--busy", type=int, nargs="+", default=[0, 1])
    p.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        measure()
        return 0
    print(
        f"{'threads':>7} {'waits':>7} {'busy':>4} | 8 words | 24 words | 48 words | 3 x 24 words  (median ms)"
    )
    for busy in args.busy:
        burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            for threads in args.threads:
                for policy in ("PASSIVE", "ACTIVE") if threads > 1 else ("PASSIVE",):
                    env = {**os.environ, "FAQ_ENCODER_THREADS": str(threads), "OMP_WAIT_POLICY": policy}
                    out = subprocess.run(
                        [sys.executable, __file__, "--measure"],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout.split()
                    print(
                        f"{threads:>7} {policy.lower():>7} {busy:>4} | " + " | ".join(f"{c:>7}" for c in out)
                    )
        finally:
            for b in burners:
                b.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
