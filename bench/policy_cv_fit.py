"""Figures, objective, folds and the coordinate-wise search of ``bench/policy_cv.py``.

A *sample* is a list of rows ``(faq set, case index)``; the per-row results of one constants
setting (``Evaluator.results``) are computed once for every row of both FAQ sets and cached,
so a figure on any sample is arithmetic.

Objective (issue 11's targets): each target's margin normalised by its headroom,
``(value - goal) / (1 - goal)`` for a ``>=`` target and ``(goal - value) / goal`` for a ``<=``
one (1 = perfect, 0 = just met, < 0 = missed). A setting is better when its shortfall (the sum
of the negative margins: 0 when every target is met) is smaller, then when more questions are
answered directly (not through a list to tap), then when its mean margin is larger, then
when it is closer to the shipped constants (fewer grid steps away): a tie never moves a
constant. (The smallest margin alone would be stuck on a target no threshold reaches,
such as unanswerable questions the FAQ engine answers.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.conversation_data import QUESTION, SMALL_TALK, TICKET_GROUPS, UNANSWERABLE, Case
from bench.conversation_report import TARGETS
from bench.policy_cv_sim import Result

SCORED = frozenset({QUESTION, UNANSWERABLE, *TICKET_GROUPS, *SMALL_TALK})
Row = tuple[str, int]  # (faq set, index into that set's cases)
Setting = tuple[tuple[str, float], ...]  # sorted (constant, value) pairs

GOALS = {name: TARGETS[name] for name in list(TARGETS)[:5]}  # latency is not the policy's
SHORT = {
    "questions right (direct or one tap)": "q right",
    "questions wrong": "q wrong",
    "unanswerable answered": "unans. answered",
    "ticket holds the matter": "tickets",
    "small talk / out of scope / foreign: fitting": "small talk",
}


def key(values: Mapping[str, float]) -> Setting:
    return tuple(sorted((k, round(float(v), 6)) for k, v in values.items()))


@dataclass
class Data:
    """Every case of every FAQ set: its queries, then all of messages.csv."""

    cases: dict[str, list[Case]]

    def rows(self, faq_set: str, messages: set[int] | None = None) -> list[Row]:
        """A set's query rows and its message rows (``messages``: message indexes kept, None: all)."""
        out: list[Row] = []
        m = 0
        for i, c in enumerate(self.cases[faq_set]):
            if c.id.startswith("m:"):
                if messages is not None and m not in messages:
                    m += 1
                    continue
                m += 1
            out.append((faq_set, i))
        return out


def message_folds(messages: Sequence[Case], k: int = 2) -> list[set[int]]:
    """Message indexes in ``k`` folds, stratified by intent (file order, dealt in turn)."""
    folds: list[set[int]] = [set() for _ in range(k)]
    seen: Counter[str] = Counter()
    for i, c in enumerate(messages):
        folds[seen[c.group] % k].add(i)
        seen[c.group] += 1
    return folds


def figures(results: Sequence[Result], groups: Sequence[str]) -> dict[str, Any]:
    """Issue 11's target values (and counts) over parallel lists of results and case groups;
    ``info``: what the targets do not see (a refused question, a ticket one tap further)."""
    by: dict[str, Counter[str]] = {}
    extra: Counter[str] = Counter()
    for res, g in zip(results, groups, strict=True):
        by.setdefault(g, Counter())[res.result] += 1
        if g in (QUESTION, UNANSWERABLE) and res.path.split(">")[0] == "refuse":
            extra[f"{g} refused"] += 1
        if g in TICKET_GROUPS and res.result == "ticket with matter" and ">" in res.path:
            extra["tickets via a quick reply"] += 1

    def n(gs: Sequence[str]) -> int:
        return sum(sum(by.get(g, Counter()).values()) for g in gs)

    def c(gs: Sequence[str], *res: str) -> int:
        return sum(by.get(g, Counter())[r] for g in gs for r in res)

    q, u = n([QUESTION]), n([UNANSWERABLE])
    t, s = n(TICKET_GROUPS), n(SMALL_TALK)
    values = {
        "questions right (direct or one tap)": c([QUESTION], "direct", "tap") / q if q else None,
        "questions wrong": c([QUESTION], "wrong") / q if q else None,
        "unanswerable answered": c([UNANSWERABLE], "answered") / u if u else None,
        "ticket holds the matter": c(TICKET_GROUPS, "ticket with matter") / t if t else None,
        "small talk / out of scope / foreign: fitting": c(SMALL_TALK, "fitting") / s if s else None,
    }
    counts = {"questions": q, "unanswerable": u, "tickets": t, "small talk": s}
    info = {
        "questions refused": extra[f"{QUESTION} refused"],
        "unanswerable refused": extra[f"{UNANSWERABLE} refused"],
        "tickets via a quick reply": extra["tickets via a quick reply"],
    }
    direct = c([QUESTION], "direct") / q if q else 0.0
    info["questions answered directly"] = round(direct, 4)
    return {"values": values, "counts": counts, "info": info, "objective": objective(values, direct)}


def margin(name: str, value: float | None) -> float:
    if value is None:
        return 1.0
    op, goal = GOALS[name]
    return (value - goal) / (1 - goal) if op == ">=" else (goal - value) / goal


def objective(values: Mapping[str, float | None], direct: float = 0.0) -> tuple[float, float, float]:
    """(shortfall: sum of the negative margins, share of questions answered directly, mean
    margin); larger is better. The direct share comes before the margins: with every target
    met, a citizen is better served answered at once than with a list to tap (otherwise the
    margin on false answers would push every answer into a suggestion list)."""
    m = [margin(n, v) for n, v in values.items()]
    return (round(sum(min(0.0, x) for x in m), 6), round(direct, 6), round(sum(m) / len(m), 6))


@dataclass
class Evaluator:
    """Per-row results of a setting for one NLU configuration, computed once per setting."""

    data: Data
    run: Callable[[Mapping[str, float]], dict[str, list[Result]]]  # setting -> set -> results
    cache: dict[Setting, dict[str, list[Result]]] = field(default_factory=dict)

    def results(self, values: Mapping[str, float]) -> dict[str, list[Result]]:
        k = key(values)
        if k not in self.cache:
            self.cache[k] = self.run(dict(k))
        return self.cache[k]

    def score(self, values: Mapping[str, float], rows: Sequence[Row]) -> dict[str, Any]:
        res = self.results(values)
        results = [res[s][i] for s, i in rows]
        groups = [self.data.cases[s][i].group for s, i in rows]
        return figures(results, groups)


def steps_away(
    values: Mapping[str, float], start: Mapping[str, float], grids: Mapping[str, list[float]]
) -> int:
    def pos(name: str, v: float) -> int:
        grid = sorted(grids[name])
        return min(range(len(grid)), key=lambda i: abs(grid[i] - v))

    return sum(abs(pos(n, values[n]) - pos(n, start[n])) for n in grids)


def fit(
    ev: Evaluator,
    rows: Sequence[Row],
    start: Mapping[str, float],
    grids: Mapping[str, list[float]],
    passes: int = 4,
) -> dict[str, float]:
    """Coordinate-wise search from the shipped constants: each constant in turn takes its best
    grid value (the others fixed), until a pass changes nothing."""
    best = dict(start)

    def rank(values: Mapping[str, float]) -> tuple[float, float, float, int]:
        o = ev.score(values, rows)["objective"]
        return (o[0], o[1], o[2], -steps_away(values, start, grids))

    current = rank(best)
    for _ in range(passes):
        changed = False
        for name, grid in grids.items():
            for v in grid:
                if v == best[name]:
                    continue
                trial = {**best, name: v}
                r = rank(trial)
                if r > current:
                    best, current, changed = trial, r, True
        if not changed:
            break
    return best


def sensitivity(
    ev: Evaluator, rows: Sequence[Row], start: Mapping[str, float], grids: Mapping[str, list[float]]
) -> dict[str, dict[str, Any]]:
    """One constant at a time over its grid (the others shipped): scored rows whose result
    changes, and the objective's range."""
    base = ev.results(start)
    rows = [(s, i) for s, i in rows if ev.data.cases[s][i].group in SCORED]
    out: dict[str, dict[str, Any]] = {}
    for name, grid in grids.items():
        changed: set[Row] = set()
        objs = []
        for v in grid:
            res = ev.results({**start, name: v})
            changed |= {(s, i) for s, i in rows if res[s][i].result != base[s][i].result}
            objs.append((v, ev.score({**start, name: v}, rows)["objective"]))
        out[name] = {
            "shipped": start[name],
            "rows_changed": len(changed),
            "shortfall_range": [min(o[0] for _, o in objs), max(o[0] for _, o in objs)],
            "by_value": {str(v): o for v, o in objs},
        }
    return out
