"""Fitting the routing policy's thresholds by cross-validation across both FAQ sets (issue 11).

Offline and first-turn only: every row of ``../shared/eval/dev/queries.csv`` and
``../shared/eval/dev-public-services/queries.csv`` (each against its own ``faq.csv``) and every
row of ``../shared/eval/dev-conversations/messages.csv`` (against each FAQ set) is played once
per constants setting: ``actions.policy.decide`` on a fresh ``DialogueState(greeted=True)``,
the constants of ``actions/policy.py`` and ``actions/cues.py`` patched (restored after), the
quick replies the scripted citizen of ``bench/conversation_eval.py`` would tap played too
(``bench/policy_cv_sim.py``). The inputs are computed once and cached under ``var/``
(``bench/policy_cv_inputs.py``): the FAQ engine built as the hub builds it (semantic model
on), Rasa's ``/model/parse`` of the running server, and the hub's cues.

Two NLU configurations: ``rasa`` (``make run``) and ``cues`` (``--no-rasa``). For each:
1. sensitivity: each candidate constant alone over its grid, on all rows;
2. fits of the constants in ``FITTED`` (``bench/policy_cv_fit.py``: coordinate-wise;
   objective = the normalised shortfall below the targets, then the mean margin, then the
   fewest grid steps from the shipped values) on each FAQ set in-sample, on both, and
   cross-validated: fit on one FAQ set's queries with one half of messages.csv (stratified by
   intent), score the other FAQ set's queries with the other half (4 fits; a set's
   cross-validated figure pools its two held-out halves, so its queries count twice);
3. tables: shipped / fitted in-sample / cross-validated side by side, and the fitted values.

    .venv/bin/python bench/policy_cv.py [--rasa-url http://127.0.0.1:5099] [--no-rasa] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actions import cues, texts
from bench.conversation_citizen import TYPED
from bench.conversation_data import FAQ_SETS, FaqSet, message_cases, query_cases
from bench.policy_cv_fit import Data, Evaluator, figures, fit, message_folds, sensitivity
from bench.policy_cv_inputs import (
    FAQ_CACHE,
    RASA_CACHE,
    FaqViews,
    RasaParses,
    load_cache,
    save_cache,
    warm,
)
from bench.policy_cv_report import changes_table, figures_table, fits_table, sensitivity_table, stability
from bench.policy_cv_sim import FastReader, Player, memoized, patched, shipped
from faq.bounds import bound_query

# Every threshold the first turn reads, with its grid (the shipped value is added).
GRIDS: dict[str, list[float]] = {
    "policy.HUMAN_MIN_CONFIDENCE": [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01],
    "policy.ACT_MIN_CONFIDENCE": [0.5, 0.6, 0.7, 0.8, 0.9, 1.01],
    "policy.QUESTION_NLU_MIN": [0.5, 0.6, 0.7, 0.8, 0.9, 1.01],
    "policy.REPORT_NLU_MIN": [0.5, 0.6, 0.7, 0.8, 0.9, 1.01],
    "policy.REPORT_NLU_BONUS": [0.0, 0.1, 0.2, 0.3, 0.4],
    "policy.OOS_MIN_CONFIDENCE": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01],
    "policy.OOS_MAX_FAQ_SCORE": [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4],
    "policy.NO_TOPIC_MAX_FAQ_SCORE": [-0.6, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2],
    "policy.NO_TOPIC_MAX_REPORT": [0.0, 0.1, 0.2, 0.3, 0.4],
    "policy.QUESTION_NO_TOPIC_MAX_SCORE": [-0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2],
    "policy.OFF_TOPIC_MAX_FAQ_SCORE": [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 2.0],
    "policy.TOPIC_QUERY_MAX_WORDS": [6, 8, 10, 12, 15, 20, 30],
    "cues.REPORT_MIN": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
    "policy.ANSWER_MIN_SCORE": [0.0, 1.0, 1.1, 1.2, 1.25, 1.3, 1.35, 1.4, 1.5, 1.7, 9.0],
    "policy.SUGGEST_FLOOR_SCORE": [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 9.0],
}
# The ones fitted (chosen from the sensitivity: see docs/rasa.md "Fitting the routing thresholds").
FITTED = [
    "policy.ANSWER_MIN_SCORE",
    "policy.SUGGEST_FLOOR_SCORE",
    "cues.REPORT_MIN",
    "policy.OFF_TOPIC_MAX_FAQ_SCORE",
    "policy.QUESTION_NO_TOPIC_MAX_SCORE",
    "policy.REPORT_NLU_BONUS",
    "policy.REPORT_NLU_MIN",
    "policy.OOS_MIN_CONFIDENCE",
]
# What the citizen may type or tap after the first reply (their inputs are computed too).
FOLLOW_UPS = [
    texts.ASK_INFO,
    texts.REPORT,
    texts.PERSON,
    texts.NONE_OF_THESE,
    texts.SEND,
    texts.NO_NEED,
    *TYPED.values(),
    "1",
    "2",
    "3",
]
SETS = list(FAQ_SETS)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def inputs(args: argparse.Namespace, data: Data) -> tuple[dict[str, FaqViews], RasaParses | None]:
    faq_cache, rasa_cache = load_cache(FAQ_CACHE), load_cache(RASA_CACHE)
    rasa = None
    if not args.no_rasa:
        try:
            rasa = RasaParses(args.rasa_url, rasa_cache)
        except OSError as err:
            log(f"Rasa at {args.rasa_url} unreachable ({err}): the rasa configuration is skipped")
    views = {}
    for name in SETS:
        views[name] = FaqViews(name, FAQ_SETS[name] / "faq.csv", faq_cache)
        all_texts = [c.text for c in data.cases[name]] + FOLLOW_UPS
        warm([views[name]], all_texts, "FAQ views")
        save_cache(FAQ_CACHE, faq_cache)
        if rasa is not None:
            warm([rasa], all_texts, "Rasa parses")
            save_cache(RASA_CACHE, rasa_cache)
    return views, rasa


def runner(data: Data, views: Mapping[str, FaqViews], source: str, rasa: RasaParses | None) -> Any:
    def cue_parse(text: str) -> Any:
        return cues.read_acts(bound_query(text))  # the module attribute: memoised when it is

    parse = rasa.get if (source == "rasa" and rasa is not None) else cue_parse
    players = {s: Player(views[s], FastReader(FaqSet.load(s)), parse) for s in SETS}

    def run(values: Mapping[str, float]) -> dict[str, list[Any]]:
        with patched(values):
            return {s: [players[s].play(c) for c in data.cases[s]] for s in SETS}

    return run, players


def check_memo(run: Any, start: Mapping[str, float]) -> None:
    """The memoised cues decide as the code does: the same results with and without."""
    trials = [dict(start), {**start, "cues.REPORT_MIN": 0.35, "policy.OOS_MIN_CONFIDENCE": 0.35}]
    plain = [run(t) for t in trials]
    with memoized(list(start)):
        memo = [run(t) for t in trials]
    if plain != memo:
        raise SystemExit("memoised cues changed a decision: fit without the memo")


def _cv(
    ev: Evaluator, data: Data, start: dict[str, float], fgrids: dict[str, list[float]], passes: int
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """The four cross-validation fits and each FAQ set's held-out figures (its two halves)."""
    messages = [c for c in data.cases[SETS[0]] if c.id.startswith("m:")]
    folds = message_folds(messages)
    fits: dict[str, dict[str, float]] = {}
    held: dict[str, tuple[list[Any], list[str]]] = {s: ([], []) for s in SETS}
    for s in SETS:
        other = next(o for o in SETS if o != s)
        for h, half in enumerate(folds):
            values = fit(ev, data.rows(s, half), start, fgrids, passes)
            fits[f"cv {s}+msg{'AB'[h]}"] = values
            res = ev.results(values)
            for x, i in data.rows(other, folds[1 - h]):
                held[other][0].append(res[x][i])
                held[other][1].append(data.cases[x][i].group)
    return fits, {s: figures(*held[s]) for s in SETS}


def one_config(
    source: str, data: Data, views: Mapping[str, FaqViews], rasa: RasaParses | None, args: argparse.Namespace
) -> dict[str, Any]:
    t0 = time.perf_counter()
    run, _players = runner(data, views, source, rasa)
    start = shipped(list(GRIDS))
    grids = {n: sorted({*GRIDS[n], start[n]}) for n in GRIDS}
    check_memo(run, start)
    ev = Evaluator(data, run)
    fitted = args.params.split(",") if args.params else FITTED
    fgrids = {n: grids[n] for n in fitted}  # fits move only these; the others stay shipped
    with memoized(list(GRIDS)):
        pooled = [r for s in SETS for r in data.rows(s)]
        sens = sensitivity(ev, pooled, start, grids)
        fits = {f"fit {s}": fit(ev, data.rows(s), start, fgrids, args.passes) for s in SETS}
        fits["fit both"] = fit(ev, pooled, start, fgrids, args.passes)
        cv_fits, held_out = _cv(ev, data, start, fgrids, args.passes)
        fits.update(cv_fits)
        st = stability({n: start[n] for n in fitted}, fits)
        recommended = {**start, **{n: st[n]["ship"] for n in fitted}}
        table: dict[str, Any] = {}
        for s, rows in [*((s, data.rows(s)) for s in SETS), ("both", pooled)]:
            table[s] = {
                "shipped": ev.score(start, rows),
                "fitted in-sample": ev.score(fits[f"fit {s}"], rows),
                "recommended": ev.score(recommended, rows),
            }
            if s in held_out:
                table[s]["cross-validated"] = held_out[s]
        changes = _changes(ev, data, start, recommended)
    log(f"  {source}: {len(ev.cache)} settings played in {time.perf_counter() - t0:.1f} s")
    return {
        "source": source,
        "shipped": {n: start[n] for n in fitted},
        "grids": fgrids,
        "sensitivity": sens,
        "fits": {k: {n: v[n] for n in fitted} for k, v in fits.items()},
        "stability": st,
        "recommended": {n: recommended[n] for n in fitted},
        "figures": table,
        "changed_rows": changes,
        "failures_shipped": _failures(ev, data, start),
    }


_BAD = {"missed", "wrong", "answered", "ticket without matter", "no ticket", "unfitting"}


def _row(data: Data, s: str, i: int, r: Any) -> dict[str, Any]:
    c = data.cases[s][i]
    return {"set": s, "id": c.id, "group": c.group, "text": c.text[:160], "result": r.result, "path": r.path}


def _failures(ev: Evaluator, data: Data, values: Mapping[str, float]) -> list[dict[str, Any]]:
    """Rows that miss their target with ``values``."""
    res = ev.results(values)
    return [
        _row(data, s, i, r)
        for s in SETS
        for i, r in enumerate(res[s])
        if r.result in _BAD and data.cases[s][i].group != "contrast_question"
    ]


def _changes(
    ev: Evaluator, data: Data, a: Mapping[str, float], b: Mapping[str, float]
) -> list[dict[str, Any]]:
    """Rows (contrast questions too) whose play differs between settings ``a`` and ``b``."""
    ra, rb = ev.results(a), ev.results(b)
    out = []
    for s in SETS:
        for i, (x, y) in enumerate(zip(ra[s], rb[s], strict=True)):
            if x != y:
                out.append({**_row(data, s, i, y), "before": f"{x.result} ({x.path})"})
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rasa-url", default=os.environ.get("HUB_RASA_URL", "http://127.0.0.1:5099"))
    p.add_argument("--no-rasa", action="store_true", help="only the cues configuration")
    p.add_argument("--params", help="comma-separated constants to fit (default: FITTED)")
    p.add_argument("--passes", type=int, default=4)
    p.add_argument("--json", help="write every figure, fit and failing row here")
    args = p.parse_args(argv)
    data = Data({s: query_cases(s) + message_cases() for s in SETS})
    views, rasa = inputs(args, data)
    configs = (["rasa"] if rasa is not None else []) + ["cues"]
    out = []
    for source in configs:
        r = one_config(source, data, views, rasa, args)
        out.append(r)
        print(sensitivity_table(r))
        print(figures_table(r, SETS))
        print(fits_table(r))
        print(changes_table(r))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"configs": out}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
