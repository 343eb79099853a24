"""A hub for ``bench/conversation_eval.py``, set up as a hotline would set it up, and the
read of its tickets.

* A temporary directory with a fresh SQLite database; ``python -m bot migrate``; the FAQ set's
  ``faq.csv`` imported and activated the way an agency's upload is stored
  (``python -m faq import FILE --activate``: one version per agency column value).
* ``python -m bot run`` (what ``make run`` starts: Rasa trained if its data changed, started on
  its own port, then the hub) or ``python -m bot run --no-rasa``; only the web chat channel
  is configured. Rasa's tracker store is a file in the temporary directory.
* ``source``: the checkout the hub runs from (default: this one), e.g. an unpacked
  ``git archive`` of an older commit for a "before" figure.
* Tickets are read from the hub's database (``tickets.content`` of the conversations' tickets).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devtools.net import free_port

ROOT = Path(__file__).resolve().parent.parent


def python_of(source: Path) -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@dataclass
class Hub:
    url: str
    database_url: str
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    info: dict[str, object] = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _env(workdir: Path, db: str, port: int) -> dict[str, str]:
    creds = workdir / "credentials.yml"
    creds.write_text("webchat:\n  enabled: true\n", encoding="utf-8")
    return {
        **os.environ,
        "HUB_DATABASE_URL": db,
        "HUB_PORT": str(port),
        "HUB_CREDENTIALS_FILE": str(creds),
        "HUB_LOG_LEVEL": "INFO",
        "RASA_PORT": str(free_port()),
        "RASA_TRACKER_DB": str(workdir / "rasa-tracker.db"),
        "HF_HUB_OFFLINE": "1",
    }


def start_hub(workdir: Path, faq_csv: Path, *, rasa: bool, source: Path = ROOT, wait: float = 900) -> Hub:
    """Migrate, import the FAQ, start ``python -m bot run``; returns once the hub listens."""
    port = free_port()
    db = f"sqlite+aiosqlite:///{workdir / 'hub.sqlite3'}"
    env = _env(workdir, db, port)
    py = python_of(source)
    log_path = workdir / "hub.log"
    with log_path.open("ab") as log:
        for step in (["-m", "bot", "migrate"], ["-m", "faq", "import", str(faq_csv), "--activate"]):
            done = subprocess.run([py, *step], cwd=source, env=env, stdout=log, stderr=log, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(step)} failed: see {log_path}")
    command = [py, "-m", "bot", "run", *([] if rasa else ["--no-rasa"])]
    log = log_path.open("ab")
    proc = subprocess.Popen(command, cwd=source, env=env, stdout=log, stderr=log)
    hub = Hub(f"http://127.0.0.1:{port}", db, proc, log_path)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the hub exited ({proc.returncode}): see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.3)
    else:
        hub.stop()
        raise SystemExit(f"the hub did not start within {wait:.0f} s: see {log_path}")
    hub.info = describe(hub, rasa)
    return hub


def describe(hub: Hub, rasa_wanted: bool) -> dict[str, object]:
    """What actually runs: /healthz's engine, Rasa's readiness from the log."""
    info: dict[str, object] = {"rasa_wanted": rasa_wanted}
    try:
        with urllib.request.urlopen(f"{hub.url}/healthz", timeout=10) as resp:
            checks = json.loads(resp.read()).get("checks", {})
        info["engine"] = checks.get("engine")
    except OSError as err:
        info["healthz"] = repr(err)
    log = hub.log.read_text(errors="replace") if hub.log else ""
    ready = re.search(r"Rasa sẵn sàng sau ([0-9.]+) s", log)
    info["rasa_ready_s"] = float(ready.group(1)) if ready else None
    if rasa_wanted and ready is None:
        failed = re.search(r"Không chạy được Rasa \((.*)\)", log)
        info["rasa_error"] = failed.group(1) if failed else "Rasa not reported ready"
    full = re.findall(r"full index serving \((\d+) entries\)", log)
    info["faq_entries"] = int(full[-1]) if full else None
    return info


@dataclass(frozen=True)
class TicketRow:
    code: str
    conversation_id: int | None
    kind: str
    content: str


async def read_tickets(database_url: str, conversations: Iterable[int]) -> list[TicketRow]:
    """The tickets of these conversations (content as stored)."""
    wanted = set(conversations)
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT code, conversation_id, kind, content FROM tickets ORDER BY id")
            )
            return [TicketRow(str(r[0]), r[1], str(r[2]), str(r[3] or "")) for r in rows if r[1] in wanted]
    finally:
        await engine.dispose()
