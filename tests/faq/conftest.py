"""FAQ fixtures: the engine built once per session on the development FAQ (real model, offline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from faq.engine import FaqEngine
from faq.importer import load_entries
from faq.model import FaqEntry

DEV_FAQ = Path(__file__).resolve().parent / "data" / "faq_dev.csv"


@pytest.fixture(scope="session")
def dev_entries() -> list[FaqEntry]:
    return load_entries(DEV_FAQ)


@pytest.fixture(scope="session")
def dev_engine(dev_entries: list[FaqEntry]) -> FaqEngine:
    return FaqEngine.build(dev_entries)
