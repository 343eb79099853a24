"""Two active FAQ versions holding the same questions (an agency's own upload next to an
admin's): the engine offers each question once and answers it instead of asking "1. X 2. X";
the upload report lists the shared and nearly shared questions, by version, in Vietnamese."""

from __future__ import annotations

from dataclasses import replace

import pytest

from faq.engine import EngineConfig, FaqEngine
from faq.model import Candidate, FaqEntry
from faq.normalize import fold
from faq.overlap import VersionEntry, find_overlaps, question_key
from faq.reply import reply_text


def _central_copy(entries: list[FaqEntry]) -> list[FaqEntry]:
    """The same questions as a second version would hold them: other answers, the question
    written without diacritics and final punctuation for every other entry."""
    out = []
    for n, e in enumerate(entries):
        question = fold(e.question).rstrip(" ?") if n % 2 else e.question
        out.append(replace(e, question=question, answer=e.answer + " (bộ trung tâm)"))
    return out


@pytest.fixture(scope="module")
def two_versions(dev_entries: list[FaqEntry]) -> FaqEngine:
    """The agency's own version listed first (preferred), the central copy after it."""
    return FaqEngine.build(dev_entries + _central_copy(dev_entries))


def _keys(candidates: list[Candidate]) -> list[str]:
    return [question_key(c.entry.question) for c in candidates]


@pytest.mark.parametrize("pick", [0, 7, 21, 55])
def test_a_question_held_by_two_versions_is_answered_from_the_preferred_one(
    dev_entries: list[FaqEntry], dev_engine: FaqEngine, two_versions: FaqEngine, pick: int
) -> None:
    entry = dev_entries[pick]
    alone = dev_engine.decide(entry.question)
    both = two_versions.decide(entry.question)
    assert alone.decision == "answer" and alone.entry == entry
    assert both.decision == "answer", [(c.entry.question, c.score) for c in both.candidates[:3]]
    assert both.entry == entry and "(bộ trung tâm)" not in reply_text(both)
    keys = _keys(both.candidates)
    assert len(keys) == len(set(keys))


def test_suggestions_never_offer_the_same_question_twice(two_versions: FaqEngine) -> None:
    offered = 0
    for text in ("tiêm vắc xin", "lệ phí", "thủ tục", "căn cước", "hỗ trợ", "giấy phép lái xe"):
        decision = two_versions.decide(text)
        keys = _keys(decision.candidates)
        assert len(keys) == len(set(keys)), text
        if decision.decision == "suggest":
            offered += 1
            listed = reply_text(decision).splitlines()[1:4]
            assert len({question_key(line.split(". ", 1)[1]) for line in listed}) == len(listed), listed
            assert all("(bộ trung tâm)" not in c.entry.answer for c in decision.candidates)
    assert offered >= 2


def test_the_entry_listed_first_is_the_one_answered(dev_entries: list[FaqEntry]) -> None:
    """The order of the entries is the preference (the hub lists the agency's own version
    first, then the most recently activated)."""
    config = EngineConfig.lexical_only()
    central = _central_copy(dev_entries)
    question = dev_entries[3].question
    first = FaqEngine.build(central + dev_entries, config).decide(question)
    assert first.decision == "answer" and first.entry == central[3]
    second = FaqEngine.build(dev_entries + central, config).decide(question)
    assert second.decision == "answer" and second.entry == dev_entries[3]


def test_near_duplicates_stay_distinct_questions() -> None:
    """A and B are near-duplicates by the import's rule (ratio 94 ≥ 92: flagged at upload),
    yet another question (a car is not any vehicle): the engine keeps both."""
    entries = [
        FaqEntry("A", "Lệ phí cấp đổi giấy phép lái xe là bao nhiêu?", "135.000 đồng.", agency="Sở GTVT"),
        FaqEntry("B", "Lệ phí cấp đổi giấy phép lái xe ô tô là bao nhiêu?", "Như xe máy.", agency="Sở GTVT"),
        FaqEntry("C", "Tiêm vắc xin cho trẻ em ở đâu?", "Tại trạm y tế.", agency="Sở Y tế"),
    ]
    engine = FaqEngine.build(entries, EngineConfig.lexical_only())
    ids = [c.entry.id for c in engine.decide("lệ phí cấp đổi giấy phép lái xe").candidates]
    assert {"A", "B"} <= set(ids)
    report = find_overlaps(entries[:1], [_other(entries[1], "Sở GTVT", 1)])
    assert [(o.new.id, o.other.entry.id, o.same) for o in report.items] == [("A", "B", False)]


def test_question_key_ignores_case_diacritics_punctuation_and_teencode() -> None:
    key = question_key("Không tiêm vắc-xin có bị phạt không?")
    assert (
        key
        == question_key("ko tiem vac xin co bi phat ko")
        == question_key("KHÔNG TIÊM VẮC XIN CÓ BỊ PHẠT KHÔNG")
    )
    assert key != question_key("Không tiêm vắc xin có bị phạt tiền không?")


def _other(entry: FaqEntry, agency: str, version: int) -> VersionEntry:
    return VersionEntry(entry, agency, version, version_id=version * 10)


def test_overlap_report_lists_shared_and_near_questions_by_version() -> None:
    new = [
        FaqEntry("YT1", "Tiêm vắc xin cho trẻ em ở đâu?", "Tại trạm y tế xã.", agency="Sở Y tế"),
        FaqEntry("YT2", "Xét nghiệm COVID-19 ở đâu?", "Tại trung tâm y tế.", agency="Sở Y tế"),
        FaqEntry("YT3", "Khám sức khỏe lái xe ở đâu?", "Tại bệnh viện tỉnh.", agency="Sở Y tế"),
        FaqEntry("YT4", "Giờ làm việc của bộ phận một cửa?", "Giờ hành chính.", agency="Sở Y tế"),
    ]
    others = [
        _other(
            FaqEntry("C7", "tiem vac xin cho tre em o dau", "Trạm y tế.", agency="Sở Y tế"), "Tổng đài", 2
        ),
        _other(
            FaqEntry("C8", "Xét nghiệm COVID-19 ở đâu ạ?", "Trung tâm y tế.", agency="Sở Y tế"), "Tổng đài", 2
        ),
        _other(
            FaqEntry("G1", "Tiêm vắc xin cho trẻ em ở đâu?", "Trạm y tế.", agency="Sở GTVT"), "Sở GTVT", 5
        ),
        _other(FaqEntry("G2", "Đăng kiểm xe ở đâu?", "Trung tâm đăng kiểm.", agency="Sở GTVT"), "Sở GTVT", 5),
    ]
    report = find_overlaps(new, others)
    found = [(o.new.id, o.other.entry.id, o.same) for o in report.items]
    assert found == [("YT1", "G1", True), ("YT1", "C7", True), ("YT2", "C8", False)]
    assert report.questions == 2
    assert [(c.agency, c.version, c.same, c.near) for c in report.counts()] == [
        ("Sở GTVT", 5, 1, 0),
        ("Tổng đài", 2, 1, 1),
    ]
    text = report.to_text()
    assert "Câu hỏi trùng với bộ của Tổng đài (phiên bản 2): “Tiêm vắc xin cho trẻ em ở đâu?”" in text
    assert "Câu hỏi gần trùng với bộ của Tổng đài (phiên bản 2), giống" in text
    assert "- Tổng đài (phiên bản 2): 1 câu trùng, 1 câu gần trùng" in text
    data = report.to_dict()
    assert (data["questions"], data["same"], data["near"]) == (2, 2, 1)
    assert data["by_version"][1] == {
        "agency": "Tổng đài",
        "version": 2,
        "version_id": 20,
        "same": 1,
        "near": 1,
    }


def test_no_overlap_is_said_plainly() -> None:
    new = [FaqEntry("A", "Đăng ký tạm trú cần giấy tờ gì?", "Căn cước.")]
    report = find_overlaps(new, [_other(FaqEntry("B", "Đăng kiểm xe ở đâu?", "Trung tâm."), "Sở GTVT", 1)])
    assert report.items == () and report.to_dict()["questions"] == 0
    assert "Không có câu hỏi nào trùng" in report.to_text()
