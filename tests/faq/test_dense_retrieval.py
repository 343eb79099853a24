"""Dense retrieval over every entry, fused with the lexical ranking (issue 12): an entry that
shares no word with the message still competes; a long message is read in views (its question
focus and its last sentence windows); entries are embedded as phrasings and as passages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from faq.engine import EngineConfig, FaqEngine
from faq.model import FaqEntry
from faq.semantic import EmbeddingCache, sentence_windows

FAQ = [
    FaqEntry("TP1", "Phiếu lý lịch tư pháp cấp ở đâu?", "Nộp hồ sơ tại Sở Tư pháp.", "Tư pháp", "Sở Tư pháp"),
    FaqEntry("YT1", "Tiêm vắc xin cho trẻ em ở đâu?", "Tại trạm y tế xã, phường.", "Y tế", "Sở Y tế"),
    FaqEntry(
        "HT1",
        "Đăng ký khai sinh cho con cần giấy tờ gì?",
        "Giấy chứng sinh và giấy tờ tùy thân của cha mẹ.",
        "Hộ tịch",
        "Sở Tư pháp",
    ),
    FaqEntry(
        "GT1", "Giấy phép lái xe hết hạn đổi ở đâu?", "Tại Sở Giao thông vận tải.", "Giao thông", "Sở GTVT"
    ),
    FaqEntry("GT2", "Giấy đăng ký xe máy làm ở đâu?", "Tại Công an cấp huyện.", "Giao thông", "Công an tỉnh"),
    FaqEntry(
        "XD1", "Giấy phép xây dựng nhà ở cấp ở đâu?", "Ủy ban nhân dân cấp huyện.", "Xây dựng", "Sở Xây dựng"
    ),
    FaqEntry(
        "GD1", "Giấy chứng nhận tốt nghiệp tạm thời nhận ở đâu?", "Tại trường dự thi.", "Giáo dục", "Sở GD&ĐT"
    ),
    FaqEntry(
        "BH1",
        "Thẻ bảo hiểm y tế bị mất thì cấp lại thế nào?",
        "Tại bảo hiểm xã hội huyện.",
        "Bảo hiểm",
        "BHXH",
    ),
]
BIRTH = 2
NO_SHARED_WORD = "bé mới chào đời thì làm thủ tục gì"


def test_an_entry_sharing_no_word_with_the_message_is_found() -> None:
    engine = FaqEngine.build(FAQ)
    assert engine.lexical(NO_SHARED_WORD)[BIRTH] == 0.0  # the birth entry shares no word with it
    assert engine.rank(NO_SHARED_WORD)[0].index == BIRTH
    # re-ranking only the lexical top candidates never sees it
    rerank = engine.with_config(replace(engine.config, semantic_all=False, rerank_k=3, min_candidates=3))
    assert BIRTH not in [s.index for s in rerank.rank(NO_SHARED_WORD)]


def test_a_long_message_is_read_in_views() -> None:
    engine = FaqEngine.build(FAQ)
    semantic = engine.semantic
    assert semantic is not None
    assert semantic.views("Giấy phép lái xe hết hạn đổi ở đâu?") == [
        semantic.prepare("Giấy phép lái xe hết hạn đổi ở đâu?")
    ]
    story = (
        "Chào anh chị, tôi đi làm xa nhà đã nhiều năm nay ở tận miền Nam và mới về quê ăn tết. "
        "Vợ tôi vừa sinh cháu đầu lòng hôm qua ở bệnh viện huyện, mẹ tròn con vuông cả. "
        "Ông bà nội bảo phải lo giấy tờ cho cháu sớm kẻo lỡ việc học hành sau này. "
        "Vậy bây giờ tôi cần mang những gì để làm giấy tờ cho cháu ạ?"
    )
    views = semantic.views(story)
    assert 1 < len(views) <= semantic.max_views
    assert all(len(v.split()) <= semantic.max_words for v in views)
    assert engine.rank(story)[0].index == BIRTH


def test_sentence_windows_pack_whole_sentences_and_cut_long_ones() -> None:
    text = "Một hai ba. Bốn năm. " + " ".join(["chữ"] * 7) + "."
    assert sentence_windows(text, 5) == ["Một hai ba. Bốn năm.", "chữ chữ chữ chữ chữ", "chữ chữ."]


def test_a_text_embedded_as_query_and_as_passage_are_two_cache_entries() -> None:
    cache = EmbeddingCache()
    query = cache.encode(["lệ phí cấp phiếu lý lịch tư pháp"])
    passage = cache.encode(["lệ phí cấp phiếu lý lịch tư pháp"], passage=True)
    assert len(cache) == 2
    assert not np.allclose(query, passage)
    np.testing.assert_array_equal(cache.encode(["lệ phí cấp phiếu lý lịch tư pháp"]), query)


def test_without_passages_the_entries_are_matched_by_their_phrasings_only() -> None:
    engine = FaqEngine.build(FAQ, EngineConfig(passage_words=0))
    assert engine.semantic is not None and engine.semantic.all_scores("đổi bằng lái")[1] is None
    assert FAQ[engine.rank("đổi bằng lái xe ở đâu")[0].index].id == "GT1"


def test_a_deployment_lexicon_replaces_the_shipped_one(tmp_path: Path) -> None:
    """HUB_FAQ_LEXICON: a province's own concepts (same format as faq/data/lexicon.tsv)."""
    path = tmp_path / "lexicon.tsv"
    path.write_text("# a deployment's own\nkhaisinh\tkhai sinh | giấy khai sinh | làm giấy cho bé\n", "utf-8")
    shipped = FaqEngine.build(FAQ, EngineConfig(use_semantic=False))
    own = FaqEngine.build(FAQ, EngineConfig(use_semantic=False, lexicon_path=str(path)))
    asked = "làm giấy cho bé thế nào"
    assert own.lexical(asked)[BIRTH] > shipped.lexical(asked)[BIRTH]
    with pytest.raises(ValueError, match="Không đọc được tệp từ vựng"):
        FaqEngine.build(FAQ, EngineConfig(use_semantic=False, lexicon_path=str(tmp_path / "none.tsv")))
