"""Vietnamese collation (handoff.collation.vi_key): the alphabet's order, tones after the
letter, case ignored, digits before letters."""

from __future__ import annotations

import random

from handoff.collation import vi_key


def vi_sorted(names: list[str]) -> list[str]:
    return sorted(names, key=vi_key)


def test_d_stroke_sorts_between_d_and_e() -> None:
    assert vi_sorted(["Y tế", "Đường", "Em", "Dân", "Xây dựng"]) == ["Dân", "Đường", "Em", "Xây dựng", "Y tế"]
    assert vi_sorted(["đ", "e", "d", "z"]) == ["d", "đ", "e", "z"]


def test_breve_and_circumflex_letters_after_a() -> None:
    assert vi_sorted(["B", "Â", "Ă", "A"]) == ["A", "Ă", "Â", "B"]
    assert vi_sorted(["ân", "ăn", "an", "ba"]) == ["an", "ăn", "ân", "ba"]
    assert vi_sorted(["ơ", "ô", "o", "p"]) == ["o", "ô", "ơ", "p"]
    assert vi_sorted(["ư", "u", "v", "ê", "e", "g"]) == ["e", "ê", "g", "u", "ư", "v"]


def test_letters_before_tones() -> None:
    # the letters decide first: "an" < "ang" whatever the tones
    assert vi_sorted(["áng", "àn"]) == ["àn", "áng"]
    # then the tones: none, huyền, hỏi, ngã, sắc, nặng
    tones = ["ma", "mà", "mả", "mã", "má", "mạ"]
    shuffled = tones[:]
    random.Random(1022).shuffle(shuffled)
    assert vi_sorted(shuffled) == tones
    # a toned letter with a letter mark: ệ is ê with nặng
    assert vi_sorted(["ệ", "ế", "ê", "e"]) == ["e", "ê", "ế", "ệ"]


def test_case_is_ignored() -> None:
    names = ["sở Y tế", "Sở Giáo dục", "SỞ ĐẦU TƯ", "sở công thương", "Sở Tài chính"]
    assert vi_sorted(names) == ["sở công thương", "SỞ ĐẦU TƯ", "Sở Giáo dục", "Sở Tài chính", "sở Y tế"]
    assert vi_sorted(["Đà Nẵng", "đà lạt", "DA"]) == ["DA", "đà lạt", "Đà Nẵng"]
    # equal but for case: a total, stable order (lower case first)
    assert vi_sorted(["Đ", "đ"]) == ["đ", "Đ"]


def test_digits_before_letters_and_spaces_first() -> None:
    assert vi_sorted(["Phòng A", "Phòng 2", "Phòng 1", "Phòng"]) == ["Phòng", "Phòng 1", "Phòng 2", "Phòng A"]
    assert vi_sorted(["Sở Y tế", "Sở Ytế"]) == ["Sở Y tế", "Sở Ytế"]


def test_decomposed_input_sorts_like_composed() -> None:
    import unicodedata

    composed = "Đồng Hới"
    assert vi_key(unicodedata.normalize("NFD", composed))[:2] == vi_key(composed)[:2]
