"""Markdown tables of ``bench/policy_cv.py``: sensitivity, figures side by side, fitted values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.policy_cv_fit import GOALS, SHORT

SHORT_SET = {"dev": "dev", "dev-public-services": "dps"}


def _short(name: str) -> str:
    return name.split(".", 1)[1]


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _v(x: float) -> str:
    return f"{x:g}"


def stability(start: Mapping[str, float], fits: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Per constant: where the four cross-validation folds' fits lie against the shipped value
    ("up" / "down": all four on that side, "same": all four keep it, else "mixed"), and the
    value to ship: for a stable move, the smallest move every fold agrees on (the fold value
    nearest the shipped one), else the shipped value."""
    out: dict[str, Any] = {}
    for name, ship in start.items():
        cv = [f[name] for k, f in fits.items() if k.startswith("cv ")]
        if all(v > ship for v in cv):
            how = "up"
        elif all(v < ship for v in cv):
            how = "down"
        elif all(v == ship for v in cv):
            how = "same"
        else:
            how = "mixed"
        value = min(cv) if how == "up" else max(cv) if how == "down" else ship
        out[name] = {"folds": how, "cv values": cv, "ship": value}
    return out


def sensitivity_table(r: Mapping[str, Any]) -> str:
    lines = [
        f"### {r['source']}: each constant alone over its grid (all rows of both sets)",
        "",
        "| constant | shipped | scored rows changed | shortfall: worst .. best | best value |",
        "|---|---|---|---|---|",
    ]
    for name, s in sorted(r["sensitivity"].items(), key=lambda kv: -kv[1]["rows_changed"]):
        lo, hi = s["shortfall_range"]
        best = max(s["by_value"].items(), key=lambda kv: tuple(kv[1]))[0]
        lines.append(
            f"| {_short(name)} | {_v(s['shipped'])} | {s['rows_changed']} | {lo:+.2f} .. {hi:+.2f} | {best} |"
        )
    return "\n".join(lines) + "\n"


def figures_table(r: Mapping[str, Any], sets: Sequence[str]) -> str:
    fig = r["figures"]
    head = ["target", "goal"]
    cols: list[tuple[str, str]] = []
    for s in sets:
        other = next(o for o in sets if o != s)
        for c in ("shipped", "fitted in-sample", "cross-validated", "recommended"):
            label = f"{SHORT_SET[s]}: {c}" + (
                f" (fit on {SHORT_SET[other]})" if c == "cross-validated" else ""
            )
            cols.append((s, c))
            head.append(label)
    for c in ("shipped", "fitted in-sample", "recommended"):
        cols.append(("both", c))
        head.append(f"both: {c}")
    lines = [f"### {r['source']}: first-turn figures", "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "---|" * len(head))
    for name, (op, goal) in GOALS.items():
        cells = [_pct(fig[s][c]["values"][name]) for s, c in cols]
        lines.append(f"| {SHORT[name]} | {op} {goal:g} | " + " | ".join(cells) + " |")
    cells = [f"{fig[s][c]['objective'][0]:+.2f} / {fig[s][c]['objective'][2]:+.2f}" for s, c in cols]
    lines.append("| margins: shortfall / mean | | " + " | ".join(cells) + " |")
    cells = [
        "{questions}/{unanswerable}/{tickets}/{small talk}".format(**fig[s][c]["counts"]) for s, c in cols
    ]
    lines.append("| n (q/unans./tickets/talk) | | " + " | ".join(cells) + " |")
    for name in fig[sets[0]]["shipped"]["info"]:
        cells = [str(fig[s][c]["info"][name]) for s, c in cols]
        lines.append(f"| ({name}) | | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def fits_table(r: Mapping[str, Any]) -> str:
    fits = r["fits"]
    names = list(fits)
    head = [
        "constant",
        "shipped",
        *[n.replace("dev-public-services", "dps") for n in names],
        "CV folds",
        "ship",
    ]
    lines = [
        f"### {r['source']}: fitted values",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for const, ship in r["shipped"].items():
        st = r["stability"][const]
        cells = [_v(fits[n][const]) for n in names]
        lines.append(
            f"| {_short(const)} | {_v(ship)} | "
            + " | ".join(cells)
            + f" | {st['folds']} | {_v(st['ship'])} |"
        )
    return "\n".join(lines) + "\n"


def changes_table(r: Mapping[str, Any], limit: int = 40) -> str:
    rows = r["changed_rows"]
    lines = [f"### {r['source']}: rows whose play changes, shipped -> recommended ({len(rows)})", ""]
    for x in rows[:limit]:
        where = f"{SHORT_SET[x['set']]} {x['id']} {x['group']}"
        lines.append(f"- {where}: {x['before']} -> {x['result']} ({x['path']}): {x['text'][:90]}")
    return "\n".join(lines) + "\n"
