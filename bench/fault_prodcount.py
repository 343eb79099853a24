"""Counting for the production fault run, per channel (Zalo, Facebook, web chat): what the
citizens sent and got acknowledged, what the hub stored and answered (its database), what the
vendors received (the simulators), acknowledgement p50/p99, and the per-channel table."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.conversation_report import percentile
from bench.fault_count import Result
from bench.fault_parts import Reply

if TYPE_CHECKING:
    from bench.fault_load import WebChats
    from bench.fault_prodrig import ProdRig

CHANNELS = ("zalo", "facebook", "webchat")
AFTER_FAULT = 10.0  # s after a fault's end still counted as its effect (the "calm" acks exclude it)
Sent = tuple[str, float | None, float | None, float]  # (id, accepted at, ack seconds, first POST at)

INBOUND = (
    "SELECT m.channel, m.channel_message_id AS mid, m.processed, EXISTS (SELECT 1 FROM messages o"
    " WHERE o.conversation_id = m.conversation_id AND o.direction = 'out' AND o.sender_role = 'bot'"
    " AND o.seq > m.seq) AS replied FROM messages m WHERE m.direction = 'in'"
)
OUTBOUND = (
    "SELECT m.id, m.channel, m.text, m.status, m.sender_role, i.external_id AS user FROM messages m"
    " JOIN conversations c ON c.id = m.conversation_id"
    " JOIN channel_identities i ON i.id = c.identity_id WHERE m.direction = 'out'"
)
FLAGGED = "SELECT message_id, possible_duplicates AS n FROM outbox WHERE possible_duplicates > 0"


def _key(channel: str, mid: str) -> tuple[str, str]:
    # a web-chat message's channel id is "<visitor>:<client_id>": the client knows the latter
    return (channel, mid.rsplit(":", 1)[-1]) if channel == "webchat" else (channel, mid)


TOTALS = ("posted", "accepted", "stored", "stored_twice", "lost", "answered", "sent_twice", "vendor_timeouts",
          "failed_sends")  # fmt: skip


@dataclass
class Seen:
    """What the database and the simulators hold at the end."""

    keys: Counter[tuple[str, str]]  # inbound (channel, id) -> rows
    answered: set[tuple[str, str]]
    outbound: list[Any]
    replies: list[Reply]
    expected: Counter[str]  # Zalo "user\ntext" -> rows the hub has (the same text may be sent twice)
    zalo_ids: dict[str, list[int]]
    flagged: dict[int, int]  # message id -> the outbox row's possible_duplicates
    windows: list[tuple[float, float]] = field(default_factory=list)  # faults, + AFTER_FAULT s


async def look(rig: ProdRig) -> Seen:
    inbound = await rig.sql(INBOUND)
    outbound = await rig.sql(OUTBOUND)
    zalo_ids: dict[str, list[int]] = defaultdict(list)
    for row in outbound:
        if row["channel"] == "zalo":
            zalo_ids[f"{row['user']}\n{row['text']}"].append(int(row["id"]))
    return Seen(
        keys=Counter(_key(row["channel"], row["mid"] or "") for row in inbound),
        answered={
            _key(row["channel"], row["mid"] or "") for row in inbound if row["processed"] and row["replied"]
        },
        outbound=outbound,
        replies=rig.replies(),
        expected=Counter({k: len(v) for k, v in zalo_ids.items()}),
        zalo_ids=zalo_ids,
        flagged={int(r["message_id"]): int(r["n"]) for r in await rig.sql(FLAGGED)},
    )


async def measure_production(rig: ProdRig, chats: WebChats) -> Result:
    """Counts per channel in ``result.extra["channels"]``; the totals in the Result's fields
    (which carry the targets: 0 lost, 0 stored twice, 0 sent twice, 0 stuck)."""
    sent: dict[str, list[Sent]] = {c: [] for c in CHANNELS}
    for p in rig.posts:
        sent[p.channel].append((p.mid, p.accepted_at, p.ack_s, p.first_try))
    for t in chats.turns:
        sent["webchat"].append((t.client_id, t.accepted_at, t.ack_s, t.first_try))
    seen = await look(rig)
    seen.windows = [(start, end + AFTER_FAULT) for start, end, _ in rig.windows]
    per: dict[str, dict[str, Any]] = {}
    total = Result()
    all_waits: list[float] = []
    for channel in CHANNELS:
        row = per[channel] = channel_row(channel, sent[channel], seen)
        if channel == "webchat":
            row["replied_in_page"] = sum(t.replied_at is not None for t in chats.turns)
            row.update(live_view(chats))
            waits = [t.replied_at - t.accepted_at for t in chats.turns if t.replied_at and t.accepted_at]
        else:
            first = rig.first_reply()
            waits = [first[p.user] - p.accepted_at for p in rig.posts
                     if p.channel == channel and p.accepted_at and p.user in first]  # fmt: skip
            row["redelivered_on_purpose"] = sum(len(p.redelivered) for p in rig.posts if p.channel == channel)
            row["redeliveries_needed"] = sum(p.attempts - 1 for p in rig.posts if p.channel == channel)
        row["reply_p50_s"], row["reply_p95_s"] = percentile(waits, 0.5), percentile(waits, 0.95)
        all_waits += waits
        for attr in TOTALS:
            setattr(total, attr, getattr(total, attr) + row[attr])
        total.vendor_timeouts += row.get("hub_flagged", 0)
        total.sent += row["delivered"]
    per["webchat"]["redeliveries_needed"] = sum(t.attempts - 1 for t in chats.turns)
    total.not_accepted = total.posted - total.accepted
    total.latency_median_s, total.latency_max_s = percentile(all_waits, 0.5), max(all_waits, default=None)
    total.stuck_outbox, total.stuck_unprocessed = await rig.pending()
    total.extra["channels"] = per
    total.extra["rasa_down_answered"] = _answered_while_rasa_down(rig, chats)
    total.extra["failures_by_fault"] = failures_by_fault(rig, chats)
    total.extra["events"] = [f"{t:6.1f}s  {what}" for t, what in rig.events]
    return total


def channel_row(channel: str, mine: list[Sent], seen: Seen) -> dict[str, Any]:
    accepted = [m for m in mine if m[1] is not None]
    stored = [(channel, m[0]) for m in mine if (channel, m[0]) in seen.keys]
    acks = [m[2] for m in accepted if m[2] is not None]
    calm = [m[2] for m in accepted if m[2] is not None and not any(a <= m[3] <= b for a, b in seen.windows)]
    row: dict[str, Any] = {
        "posted": len(mine),
        "accepted": len(accepted),
        "stored": len(stored),
        "stored_twice": sum(seen.keys[k] - 1 for k in stored),
        "lost": sum((channel, m[0]) not in seen.keys for m in accepted),
        "answered": sum((channel, m[0]) in seen.answered for m in accepted),
        "ack_p50_ms": _ms(percentile(acks, 0.50)),
        "ack_p99_ms": _ms(percentile(acks, 0.99)),
        "calm_n": len(calm),
        "calm_p50_ms": _ms(percentile(calm, 0.50)),
        "calm_p99_ms": _ms(percentile(calm, 0.99)),
        "failed_sends": sum(r["status"] == "failed" for r in seen.outbound if r["channel"] == channel),
    }
    if channel == "webchat":  # delivered when stored: the bot's stored replies
        bot_out = [r for r in seen.outbound if r["channel"] == "webchat" and r["sender_role"] == "bot"]
        row.update(delivered=len(bot_out), sent_twice=0, vendor_timeouts=0)
        return row
    replies = [r for r in seen.replies if r.channel == channel]
    excess, timeouts, hub_flagged, detail = classify(replies, seen.expected, seen.zalo_ids, seen.flagged)
    row.update(delivered=len(replies) - excess, sent_twice=excess - timeouts - hub_flagged,
               vendor_timeouts=timeouts, hub_flagged=hub_flagged, duplicate_detail=detail)  # fmt: skip
    return row


def classify(
    replies: list[Reply], expected: Counter[str], zalo_ids: dict[str, list[int]], flagged: dict[int, int]
) -> tuple[int, int, int, list[str]]:
    """(copies beyond the expected count, of which a vendor-side timeout (the simulator
    accepted a send and answered after the hub gave up), of which flagged by the hub (its
    outbox row's ``possible_duplicates``: an attempt whose outcome was never recorded, e.g.
    the sending process was killed after the vendor accepted), and one line per group)."""
    groups: dict[str, list[Reply]] = defaultdict(list)
    for reply in replies:
        groups[reply.key].append(reply)
    excess = timeouts = hub = 0
    detail: list[str] = []
    for key, copies in groups.items():
        extra = len(copies) - max(expected.get(key, 1), 1)
        if extra <= 0:
            continue
        stalled = min(extra, sum(c.stalled for c in copies))
        ids = [int(key.split(":")[1])] if key.startswith("hub1022:") else zalo_ids.get(key, [])
        known = min(extra - stalled, sum(flagged.get(i, 0) for i in ids))
        excess, timeouts, hub = excess + extra, timeouts + stalled, hub + known
        when = ", ".join(time.strftime("%H:%M:%S", time.localtime(c.at)) for c in copies)
        detail.append(f"{copies[0].channel} message {ids}: {len(copies)} copies at {when}; "
                      f"{stalled} vendor-side timeout(s), {known} flagged by the hub")  # fmt: skip
    return excess, timeouts, hub, detail


def live_view(chats: WebChats) -> dict[str, Any]:
    """Of the replies seen by polling: pushed on the page's WebSocket; else shown by the
    history fetch after a reconnect; else not on the screen until the next event."""
    replied = [t for t in chats.turns if t.replied_at is not None]
    pushed = [t for t in replied if t.pushed_at is not None]
    refetched = [t for t in replied if t.pushed_at is None and any(f >= t.replied_at for f in t.refetches)]  # type: ignore[operator]
    missed = [t for t in replied if t.pushed_at is None and t not in refetched]
    return {
        "live_pushed": len(pushed),
        "live_refetched": len(refetched),
        "live_missed": len(missed),
        "live_missed_at": [t.replied_at for t in missed],
        "live_connects": sum(v.connects for v in chats.views),
    }


def failures_by_fault(rig: ProdRig, chats: WebChats) -> list[str]:
    """Per fault: the deliveries and web-chat POSTs that got no 2xx and began during it or
    within AFTER_FAULT s after it (each was redelivered), by channel."""
    failed = [(p.channel, t) for p in rig.posts for t in p.failed_at]
    failed += [("webchat", t) for turn in chats.turns for t in turn.failed_at]
    out = []
    for start, end, label in rig.windows:
        hits = Counter(c for c, t in failed if start <= t <= end + AFTER_FAULT)
        counts = ", ".join(f"{c} {hits[c]}" for c in CHANNELS)
        out.append(f"{label} (+{start - rig.t0:.0f} s, {end - start:.0f} s + {AFTER_FAULT:.0f} s): {counts}")
    calm = sum(not any(a <= t <= b + AFTER_FAULT for a, b, _ in rig.windows) for _, t in failed)
    out.append(f"away from faults: {calm}")
    missed = live_view(chats)["live_missed_at"]
    for start, end, label in rig.windows:
        n = sum(start <= t <= end + AFTER_FAULT for t in missed)
        if n:
            out.append(f"web-chat replies not pushed live nor refetched during '{label}': {n}")
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _answered_while_rasa_down(rig: ProdRig, chats: WebChats) -> str | None:
    """Web-chat messages accepted while Rasa was dead, and how many got a reply in the page."""
    if rig.rasa_down is None:
        return None
    end = rig.rasa_up or time.time()
    during = [t for t in chats.turns if t.accepted_at is not None and rig.rasa_down <= t.accepted_at <= end]
    replied = sum(t.replied_at is not None for t in during)
    return f"{replied} of {len(during)} in {end - rig.rasa_down:.0f} s"


ROWS = [
    ("posted", "posted"),
    ("accepted (2xx)", "accepted"),
    ("stored", "stored"),
    ("stored twice", "stored_twice"),
    ("lost (accepted, not stored)", "lost"),
    ("answered", "answered"),
    ("replies delivered", "delivered"),
    ("sent twice", "sent_twice"),
    ("  vendor-side timeouts (explained)", "vendor_timeouts"),
    ("  flagged by the hub (explained)", "hub_flagged"),
    ("failed sends", "failed_sends"),
    ("redelivered on purpose", "redelivered_on_purpose"),
    ("redeliveries after a non-2xx", "redeliveries_needed"),
    ("replied while the citizen watched", "replied_in_page"),
    ("  pushed on the page's WebSocket", "live_pushed"),
    ("  else shown by a fetch (reconnect, resync)", "live_refetched"),
    ("  else off screen until next event", "live_missed"),
    ("WebSocket (re)connections", "live_connects"),
    ("ack p50 (ms)", "ack_p50_ms"),
    ("ack p99 (ms)", "ack_p99_ms"),
    ("reply p50 (s)", "reply_p50_s"),
    ("reply p95 (s)", "reply_p95_s"),
    ("acks away from faults", "calm_n"),
    ("  their ack p50 (ms)", "calm_p50_ms"),
    ("  their ack p99 (ms)", "calm_p99_ms"),
]


def render_channels(result: Result) -> str:
    per: dict[str, dict[str, Any]] = result.extra.get("channels", {})
    if not per:
        return ""
    table = [["", *CHANNELS]]
    for label, key in ROWS:
        table.append([label, *(_fmt(per[c].get(key)) for c in CHANNELS)])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines = ["\nproduction run, per channel"]
    for row in table:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    lines.append(
        f"stuck after drain: {result.stuck_outbox} outbox rows, {result.stuck_unprocessed} unprocessed"
    )
    if result.extra.get("rasa_down_answered"):
        lines.append(f"web chat replied while Rasa was down: {result.extra['rasa_down_answered']}")
    dups = [d for c in CHANNELS for d in per[c].get("duplicate_detail", [])]
    if dups:
        more = f"\n  ... {len(dups) - 10} more (all in --json)" if len(dups) > 10 else ""
        lines.append("replies at a vendor more than once:\n  " + "\n  ".join(dups[:10]) + more)
    lines.append(
        "no 2xx (then redelivered), by fault:\n  " + "\n  ".join(result.extra.get("failures_by_fault", []))
    )
    lines.append("events:\n  " + "\n  ".join(result.extra.get("events", [])))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
