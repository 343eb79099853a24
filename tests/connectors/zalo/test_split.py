"""split_text(): Zalo's 2,000-character limit, cut on sentence/word boundaries."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.zalo.split import split_text, utf16_len


def test_short_text_is_one_chunk() -> None:
    assert split_text("  Xin chào  ") == ["Xin chào"]
    assert split_text("") == [] and split_text(" \n ") == []


def test_prefers_paragraph_then_sentence_then_space() -> None:
    text = "Câu một. Câu hai dài hơn một chút.\nĐoạn mới ở đây"
    assert split_text(text, 40) == ["Câu một. Câu hai dài hơn một chút.", "Đoạn mới ở đây"]
    assert split_text("Một hai ba. Bốn năm sáu bảy", 20) == ["Một hai ba.", "Bốn năm sáu bảy"]
    assert split_text("aaaa bbbb cccc dddd", 10) == ["aaaa bbbb", "cccc dddd"]


def test_a_word_longer_than_the_limit_is_cut_only_where_it_must() -> None:
    url = "https://1022.thanhhoa.gov.vn/" + "x" * 50
    chunks = split_text(f"Xem {url} nhé", 30)
    assert all(utf16_len(c) <= 30 for c in chunks)
    assert "".join(chunks).replace(" ", "") == f"Xem{url}nhé"


def test_emoji_count_twice() -> None:
    chunks = split_text("😀" * 1500)
    assert [utf16_len(c) for c in chunks] == [2000, 1000]


words = st.text(alphabet="abcđêôơưáàảãạ😀", min_size=1, max_size=12)
separators = st.sampled_from([" ", " ", " ", ". ", "\n", "! ", ", "])


@settings(max_examples=300)
@given(st.lists(st.tuples(words, separators), max_size=120), st.integers(min_value=24, max_value=200))
def test_chunks_fit_and_no_word_is_cut(pieces: list[tuple[str, str]], limit: int) -> None:
    text = "".join(w + s for w, s in pieces)  # every word fits the limit (<= 24 units)
    chunks = split_text(text, limit)
    assert all(c and c == c.strip() and utf16_len(c) <= limit for c in chunks)
    assert " ".join(chunks).split() == text.split()  # every word intact, in order, nothing lost


@settings(max_examples=300)
@given(st.lists(st.tuples(words, separators), max_size=60), st.integers(min_value=2, max_value=30))
def test_nothing_is_lost_even_with_words_longer_than_the_limit(
    pieces: list[tuple[str, str]], limit: int
) -> None:
    text = "".join(w + s for w, s in pieces)
    chunks = split_text(text, limit)
    assert all(c and utf16_len(c) <= limit for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())
