"""Fixtures for the Rasa engine tests (see ``tests/rasa/harness.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.rasa_process import ModelInfo
from tests.rasa.harness import RasaStack, trained_model


@pytest.fixture(scope="session")
def rasa_model() -> ModelInfo:
    return trained_model()


@pytest.fixture(scope="session")
def rasa_stack(rasa_model: ModelInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaStack]:
    stack = RasaStack(tmp_path_factory.mktemp("rasa"), rasa_model.path)
    stack.start()
    yield stack
    stack.stop()
