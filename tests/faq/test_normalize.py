"""Normalisation: NFC, tone placement, folding, teencode (data file), segmentation."""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import pytest

from faq import normalize as nz
from faq.lexicon import parse_lexicon


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("Thanh Hoá", "Thanh Hóa"), ("khoẻ", "khỏe"), ("thuỷ", "thủy"), ("Khuỷu", "Khuỷu")],
)
def test_tone_placement_old_and_new_agree(old: str, new: str) -> None:
    assert nz.canonical_tones(old) == nz.canonical_tones(new)
    assert nz.normalize(old) == nz.normalize(new)


@pytest.mark.parametrize(
    "word", ["hoàn", "huỳnh", "người", "quyển", "giữa", "ngoài", "gì", "quý", "mía", "thuở"]
)
def test_tone_placement_keeps_correct_words(word: str) -> None:
    assert nz.canonical_tones(word) == word


def test_nfc_of_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Căn cước công dân")
    assert decomposed != "Căn cước công dân"
    assert nz.normalize(decomposed) == "căn cước công dân"


def test_fold_removes_all_diacritics_and_d_stroke() -> None:
    assert nz.fold("Đăng KÝ tài khoản ĐỊNH danh") == "dang ky tai khoan dinh danh"
    assert nz.has_diacritics("đc") and not nz.has_diacritics("dang ky")


def test_teencode_expansion_from_data_file() -> None:
    assert (
        nz.expand_teencode("mất cccd lm lại bn tiền v mn")
        == "mất căn cước công dân làm lại bao nhiêu tiền vậy mọi người"
    )
    assert nz.expand_teencode("e đky ntn đc ko ạ") == "em đăng ký như thế nào được không ạ"
    # ambiguous abbreviations keep every reading for bag-of-words matching
    assert nz.expand_teencode("xn", all_alternatives=True) == "xét nghiệm xác nhận"
    # tokens inside longer words are untouched
    assert nz.expand_teencode("koala b2 dcm") == "koala b2 dcm"


def test_teencode_table_is_data() -> None:
    table = nz.teencode_table()
    assert table["ko"] == ("không",)
    assert len(table) > 100


def test_syllables_accentless_and_teencode_meet() -> None:
    a = nz.syllables("Đăng ký tài khoản được không?")
    assert a == nz.syllables("dang ky tai khoan duoc khong")
    assert a == nz.syllables("đky tk đc ko")


def test_underthesea_segmentation() -> None:
    assert "căn_cước" in nz.tokens("mất cccd lm lại ở đâu")


def test_lexicon_concepts_meet_across_phrasings() -> None:
    lex = parse_lexicon("lephi\tlệ phí | bao nhiêu tiền | mất tiền\nthoihan\tthời hạn | mấy ngày\n")
    assert lex.concepts_in(nz.fold("lam lai mat bao nhieu tien")) == ["§lephi"]
    assert lex.concepts_in(nz.fold(nz.normalize("Lệ phí cấp lại"))) == ["§lephi"]
    assert lex.concepts_in("mat may ngay") == ["§thoihan"]


def test_normalize_module_is_python310_compatible() -> None:
    """The Rasa component (Python 3.10 venv) imports faq.normalize: stdlib + underthesea only."""
    tree = ast.parse(Path(nz.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    allowed = {"__future__", "functools", "re", "unicodedata", "pathlib", "typing", "underthesea"}
    assert imported <= allowed
    source = Path(nz.__file__).read_text(encoding="utf-8")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & {"StrEnum", "Self", "ExceptionGroup", "TaskGroup"}
    ast.parse(source, feature_version=(3, 10))
