"""Time from ``python -m faq import`` of a 5,000-row spreadsheet to the new version
answering in a running hub (issue 3).

1. A hub process is started on a fresh SQLite database (or PostgreSQL with --db postgres)
   and given a first FAQ version (the dev FAQ), so it is answering before the update.
2. A 5,000-row .xlsx is written: the dev FAQ's 60 entries plus distinct synthetic entries
   (``bench/faq_bench.py``'s generator), with ONE marker entry whose answer is new.
3. The clock starts; ``python -m faq import FILE --agency … --activate`` runs as its own
   process against the same database; a web-chat citizen asks the marker question every
   200 ms: first the new version serves (the interim lexical index offers the marker
   question as a numbered suggestion; it never answers by itself), then the full index
   (with the embedding model) answers with the marker answer.

Prints the import command's own time, the time until the hub answered with the new version,
and the hub's RSS.

    .venv/bin/python bench/faq_import_bench.py [--rows 5000] [--db sqlite|postgres] [--lexical]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webchat_bench import database, drop_database  # noqa: E402
from devtools.net import free_port  # noqa: E402
from faq.importer import load_entries  # noqa: E402
from faq.model import FaqEntry  # noqa: E402

DEV_FAQ = ROOT.parent / "shared" / "eval" / "dev" / "faq.csv"
MARKER_Q = "Thủ tục xin cấp phép bay flycam chụp ảnh cưới ở khu di tích cần những gì?"
MARKER_A = "MARKER-ANSWER: nộp hồ sơ xin phép bay tại Bộ Tư lệnh Quân khu trước 7 ngày."


def quarters(text: str) -> list[str]:
    words = text.rstrip("?").split()
    cuts = [round(len(words) * n / 4) for n in range(5)]
    return [" ".join(words[cuts[n] : cuts[n + 1]]) for n in range(4)]


def synthesise(base: list[FaqEntry], size: int, seed: int = 1022) -> list[FaqEntry]:
    """The real entries plus distinct new ones: each new question joins the four quarters
    of four different dev questions, and no two synthetic questions share three quarters,
    so they stay well below the importer's near-duplicate bar (they share real vocabulary,
    the hard case for ranking)."""
    import itertools
    import random

    rng = random.Random(seed)
    parts = [quarters(e.question) for e in base]
    out = list(base)
    seen: set[tuple[tuple[int, int], ...]] = set()
    while len(out) < size:
        pick = rng.sample(range(len(base)), 4)
        keys = [tuple((pos, pick[pos]) for pos in combo) for combo in itertools.combinations(range(4), 3)]
        if any(k in seen for k in keys):
            continue
        seen.update(keys)
        q = " ".join(parts[src][pos] for pos, src in enumerate(pick)) + "?"
        a = f"{base[pick[0]].answer.split('. ')[0]}. {base[pick[3]].answer.split('. ')[-1]}"
        out.append(FaqEntry(f"S{len(out):05d}", q, a, base[pick[0]].domain, "Đơn vị thử nghiệm"))
    return drop_near_duplicates(out)


def drop_near_duplicates(entries: list[FaqEntry]) -> list[FaqEntry]:
    """The rare synthetic pair the importer would call near-duplicates: keep the first."""
    from rapidfuzz import fuzz, process

    from faq.validate import NEAR_DUPLICATE_SCORE, _key

    keys = [_key(e.question) for e in entries]
    matrix = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE_SCORE, workers=-1)
    drop = {int(i) for i, j in zip(*matrix.nonzero(), strict=True) if j < i}
    return [e for n, e in enumerate(entries) if n not in drop]


def write_xlsx(entries: list[FaqEntry], path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Bộ câu hỏi thường gặp (bản cập nhật)"])
    ws.append(["Mã", "Câu hỏi", "Trả lời", "Lĩnh vực", "Đơn vị"])
    for e in entries:
        ws.append([e.id, e.question, e.answer, e.domain, "Đơn vị thử nghiệm"])
    wb.save(path)


LAST_REPLY = [""]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def ask_until(base: str, fragment: str | tuple[str, ...], timeout: float) -> float:
    """Seconds until a fresh citizen asking the marker question gets a reply with ``fragment``."""
    fragments = (fragment,) if isinstance(fragment, str) else fragment
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        while time.perf_counter() - started < timeout:
            try:
                async with http.post(f"{base}/webchat/api/session", json={}) as r:
                    token = (await r.json())["session_token"]
            except aiohttp.ClientConnectorError:  # the hub is still starting
                await asyncio.sleep(0.2)
                continue
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(
                f"{base}/webchat/api/messages",
                headers=headers,
                json={"client_id": str(uuid.uuid4()), "text": MARKER_Q},
            ) as r:
                await r.json()
            for _ in range(50):
                async with http.get(f"{base}/webchat/api/messages?after=1", headers=headers) as r:
                    msgs = (await r.json())["messages"]
                if msgs:
                    if any(f in msgs[0]["text"] for f in fragments):
                        LAST_REPLY[0] = msgs[0]["text"]
                        return time.perf_counter() - started
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)
    raise TimeoutError("the hub never answered with the new version")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--lexical", action="store_true", help="HUB_FAQ_SEMANTIC=false")
    args = p.parse_args()
    base_entries = load_entries(DEV_FAQ)
    entries = synthesise(base_entries, args.rows + 50)[: args.rows - 1]
    entries.append(FaqEntry("MARKER1", MARKER_Q, MARKER_A, "Thử nghiệm", "Đơn vị thử nghiệm"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        xlsx = work / "faq-5000.xlsx"
        write_xlsx(entries, xlsx)
        db_url, dropper = database(args.db, work)
        port = free_port()
        creds = work / "credentials.yml"
        creds.write_text("webchat:\n  enabled: true\n", encoding="utf-8")
        env = {
            **os.environ,
            "HUB_DATABASE_URL": db_url,
            "HUB_PORT": str(port),
            "HUB_CREDENTIALS_FILE": str(creds),
            "HUB_ENGINE": "faq",
            "HUB_FAQ_PATH": str(DEV_FAQ),
            "HUB_FAQ_SEMANTIC": "false" if args.lexical else "true",
            "HUB_LOG_LEVEL": "INFO",
        }
        log = (work / "hub.log").open("wb")
        hub = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(ask_until(base, "", 180))  # the hub is up and answering (first version)
            started = time.perf_counter()
            imp = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "faq",
                    "import",
                    str(xlsx),
                    "--agency",
                    "Đơn vị thử nghiệm",
                    "--activate",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            import_s = time.perf_counter() - started
            if imp.returncode != 0:
                raise SystemExit(f"import failed:\n{imp.stdout}\n{imp.stderr}")
            serving_s = import_s + asyncio.run(ask_until(base, ("flycam", "MARKER-ANSWER"), 600))
            first_reply = LAST_REPLY[0]
            answered_s = serving_s + asyncio.run(ask_until(base, "MARKER-ANSWER", 900))
            print(
                json.dumps(
                    {
                        "rows": len(entries),
                        "database": args.db,
                        "semantic": not args.lexical,
                        "import_command_s": round(import_s, 2),
                        "import_to_new_version_serving_s": round(serving_s, 2),
                        "import_to_new_answer_s": round(answered_s, 2),
                        "hub_rss_mb": round(rss_mb(hub.pid), 1),
                        "first_new_version_reply": first_reply[:160],
                        "answer": LAST_REPLY[0][:160],
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
        finally:
            (Path(tempfile.gettempdir()) / "faq_import_bench_hub.log").write_bytes(
                (work / "hub.log").read_bytes()
            )
            hub.terminate()
            try:
                hub.wait(30)
            except subprocess.TimeoutExpired:  # a full (semantic) index build is still running
                hub.kill()
                hub.wait(10)
            drop_database(dropper)


if __name__ == "__main__":
    main()
