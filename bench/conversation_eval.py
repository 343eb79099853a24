"""A scripted citizen against a running hub, through the public web chat API only (issue 11).

For every case (a row of ``<faq set>/queries.csv`` or ``dev-conversations/messages.csv``) it
opens a FRESH web chat session, posts the text and acts like a citizen on the bot's replies
(``bench/conversation_citizen.py``): taps the right numbered suggestion, answers "information
or report?" quick replies and offers to forward to staff as the message's kind implies, says
"Không phải các câu trên" when no suggestion fits a report, gives the matter when asked for it,
fills the contact form (name, phone, address, e-mail or "Bỏ qua") and confirms a name; at most
``--max-turns`` turns. Tickets' content is then read from the hub's database.

It prints per kind:
* questions (queries.csv rows with expected_id, by kind): right answer directly / with one
  tap / wrong (another entry's answer) / missed; unanswerable rows: answered falsely;
* reports and requests for a person (with and without the matter): a ticket of the
  conversation whose content holds the matter (normalised containment);
* greet, thank, goodbye, out of scope, foreign language: a fitting reply with no FAQ answer,
  no contact form, no ticket; affirm/deny out of context: a short reply (<= 300 characters),
  no answer, no form; the questions of messages.csv: what happened to them;
* reply latency p50/p95: POST -> the first bot reply of a turn (WebSocket push), at
  ``--concurrency`` conversations at once.

    # start a hub per configuration (fresh SQLite, FAQ imported as an agency would) and stop it
    .venv/bin/python bench/conversation_eval.py --faq-set dev --config both --concurrency 4
    .venv/bin/python bench/conversation_eval.py --faq-set both --config both --json var/conv.json
    # a running hub (tickets are checked only with its database URL)
    .venv/bin/python bench/conversation_eval.py --url http://127.0.0.1:8022 \\
        --database-url sqlite+aiosqlite:///var/hub.sqlite3 --faq-set dev
    # a "before" figure: the hub of an older commit (its Rasa venv and model linked/copied)
    mkdir /tmp/before && git archive 679ce94 | tar -x -C /tmp/before
    ln -s $PWD/.venv-rasa /tmp/before/ && cp -r models /tmp/before/
    .venv/bin/python bench/conversation_eval.py --source /tmp/before --config both --concurrency 4

Exit status: 0 when every issue-11 target is met in every run, 1 otherwise, 2 when a run
could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.conversation_citizen import Outcome, play
from bench.conversation_client import Timing, WebChat
from bench.conversation_data import FAQ_SETS, Case, FaqSet, message_cases, query_cases, spread
from bench.conversation_hub import ROOT, Hub, read_tickets, start_hub
from bench.conversation_reading import Reader
from bench.conversation_report import TARGETS, format_table, resolve_tickets, summarise, target_values


async def warm_up(base: str, timing: Timing) -> None:
    """One conversation before timing (Rasa and the embedding model load lazily)."""
    async with aiohttp.ClientSession() as http:
        chat = WebChat(http, base, timing)
        await chat.open()
        try:
            await chat.turn("xin chào")
        finally:
            await chat.close()


async def run_cases(
    cases: list[Case], base: str, reader: Reader, timing: Timing, concurrency: int, max_turns: int
) -> list[Outcome]:
    sem = asyncio.Semaphore(concurrency)
    done = 0

    async def one(http: aiohttp.ClientSession, case: Case) -> Outcome:
        nonlocal done
        async with sem:
            out = await play(case, http, base, reader, timing, max_turns)
        done += 1
        if done % 25 == 0 or done == len(cases):
            print(f"  {done}/{len(cases)} conversations", file=sys.stderr, flush=True)
        return out

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        return list(await asyncio.gather(*(one(http, c) for c in cases)))


def case_record(o: Outcome) -> dict[str, Any]:
    c = o.case
    return {
        "id": c.id,
        "group": c.group,
        "kind": c.kind,
        "text": c.text,
        "expected_id": c.expected_id,
        **({"matter": c.matter} if c.group == "request_human" else {}),
        "result": o.result,
        "detail": o.detail,
        "path": o.path,
        "tickets": o.tickets,
        "conversation_ids": o.conversation_ids,
        "latencies_ms": [round(x * 1000, 1) for x in o.latencies],
        "transcript": o.transcript,
        **({"error": o.error} if o.error else {}),
    }


def one_run(args: argparse.Namespace, faq_set: str, config: str) -> dict[str, Any]:
    faq = FaqSet.load(faq_set)
    cases = spread(query_cases(faq_set), args.limit) + spread(message_cases(), args.limit)
    timing = Timing(quiet=args.quiet, turn_timeout=args.turn_timeout)
    with tempfile.TemporaryDirectory(prefix="conv-eval-") as tmp:
        if args.url:
            hub = Hub(args.url.rstrip("/"), args.database_url or "", info={"external": True})
        else:
            print(f"starting a hub: {config}, FAQ {faq_set} ({tmp})", file=sys.stderr, flush=True)
            hub = start_hub(Path(tmp), faq.path, rasa=config == "rasa", source=Path(args.source))
            if config == "rasa" and hub.info.get("rasa_ready_s") is None:
                hub.stop()
                raise SystemExit(f"Rasa did not start ({hub.info.get('rasa_error')}): see {hub.log}")
        try:
            asyncio.run(warm_up(hub.url, timing))
            started = time.perf_counter()
            reader = Reader(faq)
            outcomes = asyncio.run(
                run_cases(cases, hub.url, reader, timing, args.concurrency, args.max_turns)
            )
            elapsed = time.perf_counter() - started
            tickets = None
            if hub.database_url:
                convs = [c for o in outcomes for c in o.conversation_ids]
                tickets = asyncio.run(read_tickets(hub.database_url, convs))
            resolve_tickets(outcomes, tickets)
        finally:
            hub.stop()
            if args.keep_log and hub.log is not None:
                Path(args.keep_log).write_bytes(hub.log.read_bytes())
    summary = summarise(outcomes)
    title = f"{faq_set}, {'external hub' if args.url else config}, concurrency {args.concurrency}"
    print(format_table(title, summary), flush=True)
    return {
        "faq_set": faq_set,
        "config": "external" if args.url else config,
        "hub": hub.info,
        "concurrency": args.concurrency,
        "cases": len(cases),
        "elapsed_s": round(elapsed, 1),
        "summary": summary,
        "targets": target_values(summary),
        "conversations": [case_record(o) for o in outcomes],
    }


def met(run: dict[str, Any]) -> bool:
    for name, value in run["targets"].items():
        op, goal = TARGETS[name]
        if value is None or (value < goal if op == ">=" else value > goal):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--faq-set", choices=[*FAQ_SETS, "both"], default="dev")
    p.add_argument("--config", choices=["rasa", "no-rasa", "both"], default="rasa")
    p.add_argument("--url", help="a running hub instead of starting one (its FAQ: --faq-set)")
    p.add_argument("--database-url", help="the running hub's database, to read tickets' content")
    p.add_argument("--source", default=str(ROOT), help="the checkout the started hub runs from")
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--limit", type=int, help="at most N queries and N messages (spread through the files)")
    p.add_argument("--max-turns", type=int, default=8)
    p.add_argument("--quiet", type=float, default=1.0, help="s of silence that ends a turn (old hubs)")
    p.add_argument("--turn-timeout", type=float, default=15.0)
    p.add_argument("--json", help="write every run's figures and conversations here")
    p.add_argument("--keep-log", help="copy the (last) started hub's log here")
    args = p.parse_args(argv)
    sets = list(FAQ_SETS) if args.faq_set == "both" else [args.faq_set]
    configs = ["rasa", "no-rasa"] if args.config == "both" else [args.config]
    if args.url:
        configs = configs[:1]
    runs = []
    try:
        for faq_set in sets:
            for config in configs:
                runs.append(one_run(args, faq_set, config))
    finally:
        if args.json and runs:
            Path(args.json).write_text(
                json.dumps({"runs": runs}, ensure_ascii=False, indent=1), encoding="utf-8"
            )
    return 0 if all(met(r) for r in runs) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
            sys.exit(2)
        raise
