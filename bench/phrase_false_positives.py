"""How many messages of the development conversations (``../shared/eval/dev-conversations``,
or ``$HUB_EVAL_DIR/dev-conversations``) the hub would take for a request it acts on without
the dialogue engine: an opt-out from announcements (``campaigns.opt_out_words``) or a personal
data request (``privacy.request_words``). Both should be none: such a message is answered
by the rule, not by the bot. Prints the count and the messages; exits 1 when any is found.

    .venv/bin/python -m bench.phrase_false_positives
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

from campaigns.opt_out_words import subscription_request
from privacy.request_words import data_request

EVAL = Path(os.environ.get("HUB_EVAL_DIR", Path(__file__).resolve().parents[2] / "shared" / "eval"))
MESSAGES = EVAL / "dev-conversations" / "messages.csv"


def main() -> int:
    with MESSAGES.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    found = [
        (name, row["intent"], row["text"])
        for row in rows
        for name, detect in (("opt-out", subscription_request), ("data request", data_request))
        if detect(row["text"]) is not None
    ]
    print(f"{len(rows)} messages read from {MESSAGES}; taken for a request: {len(found)}")
    for name, intent, text in found:
        print(f"  {name}: [{intent}] {text}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
