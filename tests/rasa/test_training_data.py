"""The training data stays sound: enough varied examples per intent, no example under two
intents, entity annotations on token boundaries, and Rasa's own validator passes."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bot import rasa_process
from faq.normalize import fold
from rasa_addons import segment
from tests.rasa.harness import require_rasa_venv

ROOT = Path(__file__).resolve().parents[2]
INTENTS = (
    "greet goodbye thank ask_question request_human provide_contact report_incident "
    "out_of_scope affirm deny choose_suggestion"
).split()
ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def examples() -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "nlu_data" / "nlu.yml").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for block in data["nlu"]:
        if "intent" in block:
            lines = [ln.strip()[2:] for ln in block["examples"].splitlines() if ln.strip().startswith("- ")]
            found[block["intent"]] = [ANNOTATION.sub(r"\1", ln) for ln in lines]
    return found


def test_every_intent_has_30_varied_examples() -> None:
    found = examples()
    assert sorted(found) == sorted(INTENTS)
    for intent, texts in found.items():
        assert len(texts) >= 30, intent
        unaccented = [t for t in texts if fold(t) == t.lower()]
        accented = [t for t in texts if fold(t) != t.lower()]
        assert len(unaccented) >= 5 and len(accented) >= 10, intent


def test_no_example_is_under_two_intents() -> None:
    owner: dict[str, str] = {}
    for intent, texts in examples().items():
        for text in texts:
            key = text.lower().strip()
            assert owner.setdefault(key, intent) == intent, f"{text!r}: {owner[key]} and {intent}"


def annotated() -> list[tuple[str, list[tuple[int, int, str]]]]:
    data = yaml.safe_load((ROOT / "nlu_data" / "nlu.yml").read_text(encoding="utf-8"))
    out = []
    for block in data["nlu"]:
        for line in block.get("examples", "").splitlines():
            raw = line.strip()[2:]
            spans: list[tuple[int, int, str]] = []
            text, last = "", 0
            for match in ANNOTATION.finditer(raw):
                text += raw[last : match.start()]
                spans.append((len(text), len(text) + len(match.group(1)), match.group(2)))
                text += match.group(1)
                last = match.end()
            if spans:
                out.append((text + raw[last:], spans))
    return out


def test_entity_annotations_fall_on_token_boundaries() -> None:
    """CRF entities need each annotation to start and end where the tokenizer cuts."""
    items = annotated()
    assert len(items) >= 40
    for text, spans in items:
        pieces = segment.segment(text, ())
        starts = {p.start for p in pieces}
        ends = {p.end for p in pieces}
        for start, end, entity in spans:
            assert entity in {"person_name", "phone", "address", "email"}
            assert start in starts and end in ends, (text, text[start:end], [p.text for p in pieces])


@pytest.mark.rasa
def test_rasa_data_validate_passes() -> None:
    require_rasa_venv()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run(
        [
            str(rasa_process.rasa_executable()),
            "data",
            "validate",
            "--domain",
            "domain.yml",
            "--data",
            "nlu_data",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "conflict" not in result.stdout.lower().replace("no story structure conflicts", "")
