"""Embeddings kept on disk (faq/embedding_store.py) and the encoder's threads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from faq.embedding_store import EmbeddingStore
from faq.engine import EngineConfig, FaqEngine
from faq.model import FaqEntry
from faq.semantic import EmbeddingCache, encoder_threads, model_id

ROOT = Path(__file__).resolve().parents[2]


def test_vectors_round_trip_per_model(tmp_path: Path) -> None:
    path = tmp_path / "emb.sqlite3"
    store = EmbeddingStore(path, "model-a")
    vec = np.arange(384, dtype=np.float32)
    store.put_many({"query: một": vec})
    again = EmbeddingStore(path, "model-a")  # another process opening the same file
    got = again.get_many(["query: một", "query: hai"])
    assert list(got) == ["query: một"] and np.array_equal(got["query: một"], vec)
    assert EmbeddingStore(path, "model-b").get_many(["query: một"]) == {}  # a new model: none
    assert len(again) == 1


def test_a_stored_vector_is_read_instead_of_encoding(tmp_path: Path) -> None:
    store = EmbeddingStore(tmp_path / "emb.sqlite3", model_id())
    planted = np.full(384, 1 / np.sqrt(384), dtype=np.float32)  # no text encodes to this
    store.put_many({"query: lệ phí cấp hộ chiếu": planted})
    out = EmbeddingCache(store=store).encode(["lệ phí cấp hộ chiếu", "thủ tục làm căn cước"])
    assert np.array_equal(out[0], planted)
    assert not np.array_equal(out[1], planted) and abs(float(np.linalg.norm(out[1])) - 1) < 1e-3
    # what was encoded is stored for the next process
    assert "query: thủ tục làm căn cước" in EmbeddingStore(store.path, model_id()).get_many(
        ["query: thủ tục làm căn cước"]
    )


def test_an_engine_build_stores_every_phrasing_and_passage(tmp_path: Path) -> None:
    entries = [
        FaqEntry(
            "a",
            "Lệ phí cấp hộ chiếu là bao nhiêu?",
            "200.000 đồng.",
            alternatives=("Làm hộ chiếu hết bao nhiêu tiền?",),
        ),
        FaqEntry("b", "Làm căn cước ở đâu?", "Tại công an cấp xã."),
    ]
    path = tmp_path / "emb.sqlite3"
    first = FaqEngine.build(entries, EngineConfig(embedding_store=str(path)))
    assert len(EmbeddingStore(path, model_id())) == 3 + 2  # three phrasings, two passages
    decision = first.decide("làm hộ chiếu hết bao nhiêu tiền")
    assert decision.entry is not None and decision.entry.id == "a"


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"FAQ_ENCODER_THREADS": "3"}, 3), ({"OMP_NUM_THREADS": "1"}, 1), ({"FAQ_ENCODER_THREADS": "0"}, 1)],
)
def test_encoder_threads_from_the_environment(env: dict[str, str], expected: int) -> None:
    assert encoder_threads(env) == expected


def test_encoder_threads_default_to_the_cpus_at_most_two() -> None:
    assert 1 <= encoder_threads({}) <= 2
    with pytest.raises(ValueError, match="FAQ_ENCODER_THREADS"):
        encoder_threads({"FAQ_ENCODER_THREADS": "hai"})


def test_the_model_loads_with_the_threads_asked_for() -> None:
    code = (
        "import os; from faq.semantic import load_model; load_model(); "
        "print(os.environ['OMP_NUM_THREADS'], os.environ['OMP_WAIT_POLICY'])"
    )
    env = {"FAQ_ENCODER_THREADS": "2", "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "PASSIVE"]
