"""Figures of one ``bench/conversation_eval.py`` run: per kind, latency, targets (issue 11)."""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from bench.conversation_citizen import Outcome
from bench.conversation_data import (
    CONTRAST,
    QUESTION,
    SHORT_ACTS,
    SMALL_TALK,
    TICKET_GROUPS,
    UNANSWERABLE,
    norm,
)
from bench.conversation_hub import TicketRow

TARGETS = {  # issue 11, "Done when"
    "questions right (direct or one tap)": (">=", 0.90),
    "questions wrong": ("<=", 0.03),
    "unanswerable answered": ("<=", 0.05),
    "ticket holds the matter": (">=", 0.90),
    "small talk / out of scope / foreign: fitting": (">=", 0.90),
    "reply latency p95 (s)": ("<=", 1.0),
}


def holds(matter: str, content: str, *, part_ok: bool) -> bool:
    """The ticket content holds the matter: the normalised matter is contained in it; with
    ``part_ok`` (a request for a person with the matter in the same message, whose opening
    "cho tôi gặp cán bộ" is not the matter) a contiguous run of more than half the message's
    words is enough."""
    m, c = norm(matter), norm(content)
    if not m or m in c:
        return bool(m)
    if not part_ok:
        return False
    mw, cw = m.split(), c.split()
    run = difflib.SequenceMatcher(None, mw, cw, autojunk=False).find_longest_match(0, len(mw), 0, len(cw))
    return run.size * 2 > len(mw)


def resolve_tickets(outcomes: Iterable[Outcome], tickets: Sequence[TicketRow] | None) -> None:
    """Reports and requests: a ticket of the conversation whose content holds the matter
    (:func:`holds`). ``tickets`` None: the database was not read."""
    by_conv: dict[int, list[TicketRow]] = defaultdict(list)
    for t in tickets or []:
        if t.conversation_id is not None:
            by_conv[t.conversation_id].append(t)
    for o in outcomes:
        if o.case.group not in TICKET_GROUPS or o.result == "error":
            continue
        if tickets is None:
            o.result = "ticket (unchecked)" if o.tickets else "no ticket"
            continue
        mine = [t for c in o.conversation_ids for t in by_conv.get(c, [])]
        part_ok = o.case.group == "request_human_with_matter"
        if any(holds(o.case.matter or "", t.content, part_ok=part_ok) for t in mine):
            o.result = "ticket with matter"
        elif mine:
            o.result = "ticket without matter"
            o.detail = "content: " + " | ".join(t.content[:160] for t in mine)
        else:
            o.result = "no ticket"
        o.tickets = sorted({*o.tickets, *(t.code for t in mine)})


def percentile(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _count(outcomes: Sequence[Outcome], results: Sequence[str]) -> dict[str, Any]:
    c = Counter(o.result for o in outcomes)
    out: dict[str, Any] = {"n": len(outcomes)}
    out.update({r: c.get(r, 0) for r in results})
    others = {k: v for k, v in c.items() if k not in results}
    if others:
        out["other"] = others
    return out


def summarise(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.case.group].append(o)
    qs = groups[QUESTION]
    q_res = ("direct", "tap", "wrong", "missed")
    questions: dict[str, Any] = {"all": _count(qs, q_res), "by_kind": {}}
    for kind in sorted({o.case.kind for o in qs}):
        questions["by_kind"][kind] = _count([o for o in qs if o.case.kind == kind], q_res)
    for block in (questions["all"], *questions["by_kind"].values()):
        block["right_rate"] = _rate(block["direct"] + block["tap"], block["n"])
        block["wrong_rate"] = _rate(block["wrong"], block["n"])
    questions["missed_how"] = dict(Counter(o.detail for o in qs if o.result == "missed").most_common())
    questions["wrong_pairs"] = [f"{o.case.expected_id}->{o.detail}" for o in qs if o.result == "wrong"]
    un = groups[UNANSWERABLE]
    unanswerable = _count(un, ("answered", "not answered"))
    unanswerable["answered_rate"] = _rate(unanswerable["answered"], len(un))
    unanswerable["how"] = dict(Counter(o.detail for o in un if o.result != "answered").most_common())
    t_res = ("ticket with matter", "ticket without matter", "no ticket")
    tickets: dict[str, Any] = {g: _count(groups[g], t_res) for g in TICKET_GROUPS}
    all_t = [o for g in TICKET_GROUPS for o in groups[g]]
    tickets["all"] = _count(all_t, t_res)
    for block in tickets.values():
        block["rate"] = _rate(block["ticket with matter"], block["n"])
    tickets["matter_asked"] = {
        g: sum(1 for o in groups[g] if o.matter_asked) for g in TICKET_GROUPS if groups[g]
    }
    tickets["no_ticket_how"] = dict(Counter(o.detail for o in all_t if o.result == "no ticket").most_common())
    talk: dict[str, Any] = {
        g: _count(groups[g], ("fitting", "unfitting")) for g in (*SMALL_TALK, *SHORT_ACTS)
    }
    talk["all (target kinds)"] = _count([o for g in SMALL_TALK for o in groups[g]], ("fitting", "unfitting"))
    for block in talk.values():
        block["rate"] = _rate(block["fitting"], block["n"])
    talk["unfitting_how"] = {
        g: dict(Counter(o.detail for o in groups[g] if o.result != "fitting").most_common(5))
        for g in (*SMALL_TALK, *SHORT_ACTS)
        if any(o.result != "fitting" for o in groups[g])
    }
    contrast = dict(Counter(o.result for o in groups[CONTRAST]).most_common())
    return {
        "questions": questions,
        "unanswerable": unanswerable,
        "tickets": tickets,
        "small_talk": talk,
        "contrast_questions": {"n": len(groups[CONTRAST]), "what_happened": contrast},
        "latency": latency(outcomes),
        "errors": [f"{o.case.id}: {o.error}" for o in outcomes if o.error],
    }


def latency(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    first = [o.first_latency for o in outcomes if o.first_latency is not None]
    every = [x for o in outcomes for x in o.latencies]

    def ms(values: list[float], p: float) -> float | None:
        v = percentile(values, p)
        return round(v * 1000, 1) if v is not None else None

    return {
        "first_reply_ms": {"n": len(first), "p50": ms(first, 0.5), "p95": ms(first, 0.95)},
        "every_turn_ms": {"n": len(every), "p50": ms(every, 0.5), "p95": ms(every, 0.95)},
        "turns_without_reply": sum(o.turns_without_reply for o in outcomes),
    }


def target_values(s: dict[str, Any]) -> dict[str, float | None]:
    p95 = s["latency"]["every_turn_ms"]["p95"]
    return {
        "questions right (direct or one tap)": s["questions"]["all"]["right_rate"],
        "questions wrong": s["questions"]["all"]["wrong_rate"],
        "unanswerable answered": s["unanswerable"]["answered_rate"],
        "ticket holds the matter": s["tickets"]["all"]["rate"],
        "small talk / out of scope / foreign: fitting": s["small_talk"]["all (target kinds)"]["rate"],
        "reply latency p95 (s)": round(p95 / 1000, 3) if p95 is not None else None,
    }


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def format_table(title: str, s: dict[str, Any]) -> str:
    lines = [
        f"## {title}",
        "",
        "| questions | n | direct | one tap | wrong | missed | right |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, b in [("all", s["questions"]["all"]), *s["questions"]["by_kind"].items()]:
        lines.append(
            _row(name, b["n"], b["direct"], b["tap"], b["wrong"], b["missed"], _pct(b["right_rate"]))
        )
    u = s["unanswerable"]
    lines += [
        "",
        f"unanswerable: {u['answered']} of {u['n']} answered falsely ({_pct(u['answered_rate'])})",
        "",
    ]
    lines += [
        "| tickets | n | with the matter | without it | no ticket | rate |",
        "|---|---|---|---|---|---|",
    ]
    for name in (*TICKET_GROUPS, "all"):
        b = s["tickets"][name]
        cells = (b["ticket with matter"], b["ticket without matter"], b["no ticket"], _pct(b["rate"]))
        lines.append(_row(name, b["n"], *cells))
    lines += ["", "| small talk | n | fitting | rate |", "|---|---|---|---|"]
    for name in (*SMALL_TALK, "all (target kinds)", *SHORT_ACTS):
        b = s["small_talk"][name]
        lines.append(f"| {name} | {b['n']} | {b['fitting']} | {_pct(b['rate'])} |")
    c = s["contrast_questions"]
    lines += [
        "",
        f"contrast questions ({c['n']}): " + ", ".join(f"{k} {v}" for k, v in c["what_happened"].items()),
    ]
    lat = s["latency"]
    f, e = lat["first_reply_ms"], lat["every_turn_ms"]
    lines += [
        f"reply latency: first reply p50 {f['p50']} ms / p95 {f['p95']} ms (n={f['n']}); "
        f"every turn p50 {e['p50']} ms / p95 {e['p95']} ms (n={e['n']}); "
        f"turns without a reply: {lat['turns_without_reply']}",
        "",
        "| target | value | goal | met |",
        "|---|---|---|---|",
    ]
    for name, value in target_values(s).items():
        op, goal = TARGETS[name]
        met = value is not None and (value >= goal if op == ">=" else value <= goal)
        lines.append(f"| {name} | {value} | {op} {goal} | {'yes' if met else 'NO'} |")
    if s["errors"]:
        lines += ["", f"errors ({len(s['errors'])}): " + "; ".join(s["errors"][:5])]
    return "\n".join(lines)
