"""``python -m handoff due|holidays`` run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.handoff.calendars import MON_FRI as BASE_MON_FRI

ROOT = Path(__file__).resolve().parents[2]
MON_FRI = BASE_MON_FRI + 'extra_days_off: ["2027-02-05"]\nextra_working_days: ["2027-02-20"]\n'


def run(*args: str, env_calendar: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HUB_CALENDAR_FILE"}
    if env_calendar is not None:
        env["HUB_CALENDAR_FILE"] = env_calendar
    return subprocess.run(
        [sys.executable, "-m", "handoff", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_due_with_a_calendar_file(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yml"
    path.write_text(MON_FRI, encoding="utf-8")
    # Thu 29/4/2027 15:00: 2 h; Fri 30/4 and Sat 1/5 holidays, Mon 3/5 in lieu; Tue 4/5 until 15:00.
    result = run(
        "due", "--from", "2027-04-29T15:00:00+07:00", "--working-hours", "8", "--calendar", str(path)
    )
    assert result.returncode == 0, result.stderr
    assert last_line(result.stdout) == "2027-05-04T15:00:00+07:00"
    # Ends exactly at the end of the morning period: due at 11:30, not 13:00.
    result = run(
        "due", "--from", "2027-03-08T07:30:00+07:00", "--working-hours", "4", "--calendar", str(path)
    )
    assert last_line(result.stdout) == "2027-03-08T11:30:00+07:00"
    # Saturday 20/2/2027 is an extra working day (Monday's hours).
    result = run(
        "due", "--from", "2027-02-19T16:00:00+07:00", "--working-hours", "2", "--calendar", str(path)
    )
    assert last_line(result.stdout) == "2027-02-20T08:30:00+07:00"


def test_due_without_calendar_uses_env_then_packaged_default(tmp_path: Path) -> None:
    args = ("due", "--from", "2027-04-29T15:00:00+07:00", "--working-hours", "2")
    packaged = run(*args)
    assert packaged.returncode == 0, packaged.stderr
    assert last_line(packaged.stdout) == "2027-04-29T17:00:00+07:00"
    path = tmp_path / "hub.yml"
    path.write_text(MON_FRI.replace("13:00-17:00", "13:00-16:30").replace("07:30-11:30", "07:00-11:30"))
    configured = run(*args, env_calendar=str(path))
    assert configured.returncode == 0, configured.stderr
    # 1.5 h on Thursday until 16:30, then Tue 4/5 from 07:00.
    assert last_line(configured.stdout) == "2027-05-04T07:30:00+07:00"


def test_due_accepts_other_offsets_and_fractions(tmp_path: Path) -> None:
    result = run("due", "--from", "2027-03-10T09:00:00+00:00", "--working-hours", "1.25")
    assert result.returncode == 0, result.stderr
    # 09:00 UTC = 16:00 in Vietnam: 1 h until 17:00, then 15 min on Thursday morning.
    assert last_line(result.stdout) == "2027-03-11T07:45:00+07:00"
    result = run("due", "--from", "2027-03-10T02:00:00Z", "--working-hours", "1.25")
    assert last_line(result.stdout) == "2027-03-10T10:15:00+07:00"


def test_due_rejects_bad_input_clearly(tmp_path: Path) -> None:
    naive = run("due", "--from", "2027-04-29T15:00:00", "--working-hours", "8")
    assert naive.returncode == 2
    assert naive.stdout == ""
    assert "missing UTC offset" in naive.stderr
    negative = run("due", "--from", "2027-04-29T15:00:00+07:00", "--working-hours", "-1")
    assert negative.returncode == 2
    assert "≥ 0" in negative.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text('office_hours:\n  mon: ["07:30-11:30", "11:00-17:00"]\n', encoding="utf-8")
    overlapping = run(
        "due", "--from", "2027-04-29T15:00:00+07:00", "--working-hours", "8", "--calendar", str(bad)
    )
    assert overlapping.returncode == 2
    assert "chồng lên nhau" in overlapping.stderr and "bad.yml" in overlapping.stderr
    missing = run(
        "due", "--from", "2027-04-29T15:00:00+07:00", "--working-hours", "8", env_calendar="/nope.yml"
    )
    assert missing.returncode == 2
    assert "/nope.yml" in missing.stderr


def test_holidays_lists_the_computed_days_off(tmp_path: Path) -> None:
    result = run("holidays", "--year", "2027")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("2027-02-06") and "Tết Âm lịch" in line for line in lines)
    assert any(line.startswith("2027-04-16") and "Giỗ Tổ Hùng Vương" in line for line in lines)
    assert any(line.startswith("2027-05-03") and "nghỉ bù" in line for line in lines)
    path = tmp_path / "calendar.yml"
    path.write_text(MON_FRI, encoding="utf-8")
    result = run("holidays", "--year", "2027", "--calendar", str(path))
    assert any(line.startswith("2027-02-20") and "làm bù" in line for line in result.stdout.splitlines())
