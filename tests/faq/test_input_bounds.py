"""Every engine call costs bounded time (issue 10, defect 2): matching sees a prefix of at most
``max_query_words`` words of at most ``max_word_chars`` characters each, whatever the message.
Asserted on what the engine prepares and on what its scores can depend on, never on time
(the times are measured in the report / bench)."""

from __future__ import annotations

import random

import pytest

from faq.bounds import bound_query
from faq.engine import EngineConfig, FaqEngine

QUESTION = "Giờ em muốn làm lại căn cước công dân thì nộp hồ sơ ở đâu ạ?"


def _long_message(chars: int) -> str:
    vocab = "cho tôi hỏi thủ tục đăng ký tạm trú ở phường cần giấy tờ gì căn cước công dân".split()
    rng = random.Random(1022)
    return " ".join(rng.choice(vocab) for _ in range(chars // 3))[:chars]


def _ranking(engine: FaqEngine, text: str) -> list[tuple[int, float]]:
    return sorted((s.index, round(s.score, 6)) for s in engine.rank(text))


def test_defaults_are_sane() -> None:
    config = EngineConfig()
    assert config.max_query_words == 200 and config.max_word_chars == 40


@pytest.mark.parametrize(
    "text", [_long_message(100_000), "a" * 4000, ("đăngký" * 700)[:4000], "x" * 100_000 + " y"]
)
def test_the_prepared_query_is_bounded(dev_engine: FaqEngine, text: str) -> None:
    prepared = dev_engine.prepare_query(text)
    words = prepared.split()
    assert 1 <= len(words) <= 200 and max(len(w) for w in words) <= 40
    assert text.startswith(words[0])  # a prefix of the message, not some other part
    semantic = dev_engine.semantic
    assert semantic is not None
    model_input = semantic.prepare(text).split()  # what the encoder sees, even when called directly
    assert len(model_input) <= semantic.max_words and max(len(w) for w in model_input) <= 40


def test_words_after_the_prefix_do_not_change_the_ranking(dev_engine: FaqEngine) -> None:
    filler = " ".join(["vâng"] * 200)
    assert _ranking(dev_engine, filler + " " + QUESTION) == _ranking(dev_engine, filler)


def test_characters_after_the_word_bound_do_not_change_the_ranking(dev_engine: FaqEngine) -> None:
    head = "cancuoc" * 6  # 42 characters: the bound keeps the first 40
    assert _ranking(dev_engine, head + "khaisinh" * 400) == _ranking(dev_engine, head + "tamtru")


def test_short_messages_are_matched_as_before(dev_engine: FaqEngine) -> None:
    assert dev_engine.prepare_query(QUESTION) == QUESTION
    assert dev_engine.decide(QUESTION).candidates[0].entry.id == "D055"
    multi = "Chào tổng đài.\nEm mất ví.\n" + QUESTION
    assert dev_engine.prepare_query(multi) == multi  # line breaks kept: they split sentences


def test_huge_inputs_go_through_the_real_engine(dev_engine: FaqEngine) -> None:
    for text in (_long_message(100_000), "a" * 4000, "x" * 1_000_000):
        decision = dev_engine.decide(text)
        assert decision.decision in {"answer", "suggest", "handoff"}


def test_bound_query_keeps_a_prefix_and_its_line_breaks() -> None:
    assert bound_query("một  hai\n\nba\tbốn", max_words=3, max_word_chars=40) == "một hai\nba"
    assert bound_query("abcdef ghi", max_words=5, max_word_chars=3) == "abc ghi"
    assert bound_query(" " * 10_000, max_words=5, max_word_chars=3) == ""
    assert bound_query("a" + " " * 10_000 + "b", max_words=5, max_word_chars=3) == "a b"
    text = "đúng như cũ\nkhông đổi"
    assert bound_query(text, max_words=5, max_word_chars=40) is text
