"""Prometheus text exposition of this worker's counters (each worker is scraped on its own
port, the usual Prometheus model); depths come from the database at scrape time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Histogram:
    def __init__(self, buckets: Iterable[float] = BUCKETS) -> None:
        self.buckets = tuple(buckets)
        self.counts = [0] * len(self.buckets)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.n += 1
        self.total += value
        for i, b in enumerate(self.buckets):
            if value <= b:
                self.counts[i] += 1

    def lines(self, name: str, labels: str = "") -> list[str]:
        sep = "," if labels else ""
        out = [
            f'{name}_bucket{{{labels}{sep}le="{b}"}} {c}'
            for b, c in zip(self.buckets, self.counts, strict=True)
        ]
        out.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {self.n}')
        suffix = f"{{{labels}}}" if labels else ""
        out += [f"{name}_sum{suffix} {self.total}", f"{name}_count{suffix} {self.n}"]
        return out


class Metrics:
    def __init__(self) -> None:
        self.messages_in: defaultdict[str, int] = defaultdict(int)
        self.messages_out: defaultdict[str, int] = defaultdict(int)
        self.duplicates: defaultdict[str, int] = defaultdict(int)
        self.send_failures: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.webhook_rejected: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.engine_calls: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.reply_latency = Histogram()
        self.engine_latency = Histogram()
        self.engine_available: dict[str, int] = {}
        # an outbox send started again after an attempt whose outcome was never recorded
        self.possible_duplicates: defaultdict[str, int] = defaultdict(int)
        # database writes retried through a short outage, per what was written
        self.db_retries: defaultdict[str, int] = defaultdict(int)
        # leases and claims found taken by someone else (ours had run out), per kind
        self.leases_lost: defaultdict[str, int] = defaultdict(int)

    def inbound(self, channel: str, duplicate: bool) -> None:
        if duplicate:
            self.duplicates[channel] += 1
        else:
            self.messages_in[channel] += 1

    def sent(self, channel: str) -> None:
        self.messages_out[channel] += 1

    def send_failed(self, channel: str, kind: str) -> None:
        self.send_failures[(channel, kind)] += 1

    def possible_duplicate(self, channel: str) -> None:
        self.possible_duplicates[channel] += 1

    def db_retry(self, what: str) -> None:
        self.db_retries[what] += 1

    def lease_lost(self, kind: str) -> None:
        self.leases_lost[kind] += 1

    def rejected(self, channel: str, reason: str) -> None:
        self.webhook_rejected[(channel, reason)] += 1

    def engine_ok(self, name: str) -> None:
        self.engine_calls[(name, "ok")] += 1
        self.engine_available[name] = 1

    def engine_down(self, name: str) -> None:
        self.engine_calls[(name, "unavailable")] += 1
        self.engine_available[name] = 0

    def observe_engine(self, seconds: float) -> None:
        self.engine_latency.observe(seconds)

    def render(self, gauges: dict[str, float | dict[str, float]]) -> str:
        lines: list[str] = []

        def counter(name: str, help_: str, values: dict[str, int], label: str) -> None:
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} counter")
            for key, v in sorted(values.items()):
                lines.append(f'{name}{{{label}="{key}"}} {v}')

        counter("hub_messages_in_total", "Citizen messages stored, per channel.", self.messages_in, "channel")
        counter("hub_messages_out_total", "Messages sent to a channel.", self.messages_out, "channel")
        counter(
            "hub_duplicate_deliveries_total",
            "Deliveries recognised as duplicates.",
            self.duplicates,
            "channel",
        )
        counter(
            "hub_outbox_possible_duplicates_total",
            "Sends repeated after an attempt whose outcome was never recorded (may have reached "
            "the citizen twice).",
            self.possible_duplicates,
            "channel",
        )
        counter(
            "hub_db_write_retries_total",
            "Database writes retried through a short outage.",
            self.db_retries,
            "what",
        )
        counter(
            "hub_leases_lost_total",
            "Leases or claims that ran out and were taken by another worker.",
            self.leases_lost,
            "kind",
        )
        lines += [
            "# HELP hub_send_failures_total Failed send attempts.",
            "# TYPE hub_send_failures_total counter",
        ]
        for (ch, kind), v in sorted(self.send_failures.items()):
            lines.append(f'hub_send_failures_total{{channel="{ch}",kind="{kind}"}} {v}')
        lines += [
            "# HELP hub_webhook_rejected_total Refused deliveries.",
            "# TYPE hub_webhook_rejected_total counter",
        ]
        for (ch, why), v in sorted(self.webhook_rejected.items()):
            lines.append(f'hub_webhook_rejected_total{{channel="{ch}",reason="{why}"}} {v}')
        lines += [
            "# HELP hub_engine_calls_total Dialogue engine calls.",
            "# TYPE hub_engine_calls_total counter",
        ]
        for (name, res), v in sorted(self.engine_calls.items()):
            lines.append(f'hub_engine_calls_total{{engine="{name}",result="{res}"}} {v}')
        lines += [
            "# HELP hub_engine_up Whether the engine answered its last call.",
            "# TYPE hub_engine_up gauge",
        ]
        lines += [f'hub_engine_up{{engine="{n}"}} {v}' for n, v in sorted(self.engine_available.items())]
        lines += [
            "# HELP hub_reply_latency_seconds Citizen message stored to first reply sent.",
            "# TYPE hub_reply_latency_seconds histogram",
        ]
        lines += self.reply_latency.lines("hub_reply_latency_seconds")
        lines += [
            "# HELP hub_engine_latency_seconds Dialogue engine time.",
            "# TYPE hub_engine_latency_seconds histogram",
        ]
        lines += self.engine_latency.lines("hub_engine_latency_seconds")
        for name, value in gauges.items():
            lines.append(f"# TYPE {name} gauge")
            if isinstance(value, dict):
                lines += [f'{name}{{channel="{k}"}} {v}' for k, v in sorted(value.items())]
            else:
                lines.append(f"{name} {value}")
        return "\n".join(lines) + "\n"
