"""Segmentation with exact offsets and diacritic/teencode-insensitive keys (no Rasa needed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from faq.normalize import fold
from rasa_addons import segment, textnorm

TRAINING = [
    "Cho tôi gặp cán bộ trực tổng đài",
    "Số điện thoại của tôi là 0912345678",
    "Tôi muốn phản ánh tình trạng ô nhiễm ở khu dân cư",
    "Thủ tục đăng ký khai sinh cần giấy tờ gì",
]
LEXICON = frozenset(segment.learn_lexicon(TRAINING))


def keys(text: str) -> list[str]:
    """The features the count-vector featurizer sees: keys split on spaces."""
    return " ".join(p.key for p in segment.segment(text, LEXICON)).split()


def test_the_faq_normaliser_is_used() -> None:
    assert textnorm.backend() == "faq.normalize"


def test_multi_syllable_words_are_joined_with_exact_offsets() -> None:
    text = "Cho tôi gặp  cán bộ, sđt 0912 345 678 hoặc email an.nv@gmail.com!"
    pieces = segment.segment(text, LEXICON)
    by_text = {p.text: p for p in pieces}
    assert "cán_bộ" in by_text
    cadre = by_text["cán_bộ"]
    assert text[cadre.start : cadre.end] == "cán bộ" and cadre.key == "can_bo"
    phone = next(p for p in pieces if p.key == "phonenumber")
    assert text[phone.start : phone.end] == "0912 345 678"
    email = next(p for p in pieces if p.kind == "email")
    assert text[email.start : email.end] == "an.nv@gmail.com"
    assert all(text[p.start : p.end].replace(" ", "_") == p.text for p in pieces)


def test_with_and_without_diacritics_give_the_same_keys() -> None:
    for sentence in TRAINING:
        assert keys(sentence) == keys(fold(sentence)), sentence


def test_teencode_is_expanded_in_keys() -> None:
    assert keys("sđt của e") == keys("số điện thoại của em")
    assert keys("ko") == ["khong"] == keys("không")


def test_numbers_emails_and_phones_get_generic_keys() -> None:
    assert keys("số 2") == ["so", "2"]
    assert keys("+84 912.345.678") == ["phonenumber"]
    assert keys("mail a@b.vn") == ["mail", "emailaddress"]


def test_empty_and_punctuation_only() -> None:
    assert segment.segment("", LEXICON) == []
    assert segment.segment("?!...", LEXICON) == []


def test_a_segmenter_that_disagrees_never_breaks_offsets() -> None:
    text = "hoà bình, an toàn"
    pieces = segment.segment(text, (), segmenter=lambda t: ["hòa bình", ",", "an", "toàn", "thừa"])
    assert [text[p.start : p.end] for p in pieces] == ["hoà bình", "an", "toàn"]


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("aăâeêoôơuưiyđdcbnmgh ,.0123456789@àáảãạấầẩẫậ\u0301")), max_size=40)
)
def test_offsets_are_exact_ordered_and_disjoint(text: str) -> None:
    pieces = segment.segment(text, LEXICON, segmenter=lambda t: t.split())
    last_end = 0
    for piece in pieces:
        assert 0 <= piece.start < piece.end <= len(text)
        assert piece.start >= last_end
        assert text[piece.start : piece.end].split() == piece.text.split("_") or "_" not in piece.text
        last_end = piece.end
