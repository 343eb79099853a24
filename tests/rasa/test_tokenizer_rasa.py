"""The Rasa component itself, trained and loaded through Rasa's model storage in .venv-rasa."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot import rasa_process
from tests.rasa.harness import require_rasa_venv

pytestmark = pytest.mark.rasa

ROOT = Path(__file__).resolve().parents[2]


def probe(*texts: str) -> list[dict[str, Any]]:
    require_rasa_venv()
    python = rasa_process.VENV / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [str(python), str(ROOT / "tests" / "rasa" / "tokenizer_probe.py"), *texts],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out: list[dict[str, Any]] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def test_tokens_keep_exact_offsets_and_fold_lemmas() -> None:
    text = "Cho tôi gặp cán bộ, sđt 0912 345 678 nhé"
    (result,) = probe(text)
    tokens = result["tokens"]
    for token in tokens:
        assert text[token["start"] : token["end"]].replace(" ", "_") == token["text"]
    by_text = {t["text"]: t for t in tokens}
    assert by_text["cán_bộ"]["lemma"] == "can_bo"
    assert by_text["0912_345_678"]["lemma"] == "phonenumber"
    assert by_text["sđt"]["lemma"].split() == ["so", "dien_thoai"]


def test_lemmas_are_the_same_with_and_without_diacritics() -> None:
    accented, folded = probe("Cho tôi gặp cán bộ trực tổng đài", "cho toi gap can bo truc tong dai")
    assert [t["lemma"] for t in accented["tokens"]] == [t["lemma"] for t in folded["tokens"]]
    assert "can_bo" in [t["lemma"] for t in folded["tokens"]]  # joined through the learned lexicon


def test_punctuation_only_message_still_has_a_token() -> None:
    (result,) = probe("???")
    assert result["tokens"] == [{"text": "???", "start": 0, "end": 3, "lemma": "???"}]
