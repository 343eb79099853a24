"""Matching and decisions on clear cases of the development FAQ (real BM25, real e5 model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from faq.engine import EngineConfig, FaqEngine
from faq.model import FaqEntry
from faq.normalize import fold

ROOT = Path(__file__).resolve().parents[2]

SAME_QUESTION = [
    "Đăng ký tài khoản trên Cổng dịch vụ công quốc gia như thế nào?",
    "dang ky tai khoan tren cong dich vu cong quoc gia nhu the nao",
    "đky tk trên cổng dvc ntn",
    "ĐĂNG KÝ TÀI KHOẢN dịch vụ công THẾ NÀO",
]


@pytest.mark.parametrize("text", SAME_QUESTION)
def test_accents_teencode_and_case_reach_the_same_answer(dev_engine: FaqEngine, text: str) -> None:
    decision = dev_engine.decide(text)
    assert decision.decision == "answer"
    assert decision.faq_id == "D058"
    assert decision.entry is not None and decision.entry.agency == "Văn phòng UBND tỉnh"


def test_accented_and_accentless_score_alike(dev_engine: FaqEngine) -> None:
    a = dev_engine.decide(SAME_QUESTION[0]).candidates[0].score
    b = dev_engine.decide(SAME_QUESTION[1]).candidates[0].score
    assert abs(a - b) < 0.05


def test_question_found_inside_a_long_message(dev_engine: FaqEngine) -> None:
    text = (
        "Chào tổng đài, em tên Lan ở Hoằng Hóa. Hôm trước em đi chợ bị mất ví, trong đó có cả thẻ "
        "căn cước. Giờ em muốn làm lại căn cước công dân thì nộp hồ sơ ở đâu ạ?"
    )
    decision = dev_engine.decide(text)
    assert decision.candidates[0].entry.id == "D055"
    assert decision.decision == "answer"


@pytest.mark.parametrize(
    "text", ["xin chào", "Tối nay Việt Nam đá với Thái Lan mấy giờ vậy ad?", "dạ vâng ạ"]
)
def test_off_topic_is_handed_off(dev_engine: FaqEngine, text: str) -> None:
    decision = dev_engine.decide(text)
    assert decision.decision == "handoff" and decision.entry is None
    assert len(decision.candidates) >= 3


def test_ambiguous_short_query_gets_suggestions(dev_engine: FaqEngine) -> None:
    decision = dev_engine.decide("tiêm vắc xin")
    assert decision.decision == "suggest"
    offered = {e.id for e in dev_engine.suggestions(decision)}
    assert len(offered) == 3 and offered <= {"D018", "D019", "D020", "D022"}


def test_complaint_is_never_answered_automatically(dev_engine: FaqEngine) -> None:
    complaint = "Phòng gym ở phố Lê Hoàn vẫn mở cửa dù phường đang cấp độ 3, đề nghị kiểm tra."
    assert dev_engine.decide(complaint).decision != "answer"
    assert dev_engine.decide("phòng gym có được mở cửa không").faq_id == "D002"


def test_thresholds_are_configurable(dev_engine: FaqEngine) -> None:
    strict = dev_engine.with_config(replace(dev_engine.config, answer_threshold=99.0))
    assert strict.decide("phòng gym có được mở cửa không").decision == "suggest"
    lax = dev_engine.with_config(replace(dev_engine.config, suggest_threshold=-99.0))
    assert lax.decide("xin chào").decision == "suggest"


def test_a_known_phrasing_is_answered_whatever_its_score(dev_engine: FaqEngine) -> None:
    """A message that is an entry's question (or an accepted alternative), written with or
    without diacritics, is that entry's question; a bare topic word is not."""
    entry = dev_engine.entries[5]
    for text in (entry.question, fold(entry.question)):
        decision = dev_engine.decide(text)
        assert (decision.decision, decision.faq_id) == ("answer", entry.id)
    assert dev_engine.decide("cách ly").decision != "answer"


def test_alternatives_and_keywords_are_matched() -> None:
    entries = [
        FaqEntry(
            "A", "Thủ tục cấp đổi giấy phép lái xe?", "Nộp tại Sở GTVT.", alternatives=("đổi bằng lái ở đâu",)
        ),
        FaqEntry("B", "Lịch tiêm chủng mở rộng cho trẻ?", "Theo lịch trạm y tế.", keywords=("tiêm chủng",)),
        FaqEntry("C", "Đăng ký kết hôn cần giấy tờ gì?", "Tờ khai và giấy tờ tùy thân."),
    ]
    engine = FaqEngine.build(entries, EngineConfig(use_semantic=False))
    assert engine.decide("doi bang lai o dau").candidates[0].entry.id == "A"
    assert engine.decide("lich tiem chung cho be").candidates[0].entry.id == "B"


def test_eval_cli_contract(tmp_path: Path) -> None:
    queries = tmp_path / "q.csv"
    queries.write_text(
        "query,expected_id,kind\n"
        '"đky tk trên cổng dvc ntn",D058,teencode\n'
        "xin chào,,unanswerable\n"
        '"phong gym co duoc mo cua khong",D002,no_diacritics\n',
        encoding="utf-8",
    )
    out = tmp_path / "pred.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "faq",
            "eval",
            "--faq",
            str(ROOT / "tests/faq/data/faq_dev.csv"),
            "--queries",
            str(queries),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["query"] for r in lines] == [
        "đky tk trên cổng dvc ntn",
        "xin chào",
        "phong gym co duoc mo cua khong",
    ]
    assert lines[0]["decision"] == "answer" and lines[0]["faq_id"] == "D058"
    assert lines[1]["decision"] == "handoff" and lines[1]["faq_id"] is None
    assert all(len(r["candidates"]) >= 3 and {"faq_id", "score"} <= r["candidates"][0].keys() for r in lines)
    assert "teencode" in proc.stdout and "top1" in proc.stdout


@pytest.mark.parametrize("command", [["bot", "faq", "import"], ["faq", "import"]], ids=["bot", "alias"])
def test_import_cli_stores_a_version_in_the_hub_database(tmp_path: Path, command: list[str]) -> None:
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"}
    cmd = [
        sys.executable,
        "-m",
        *command,
        str(ROOT / "tests/faq/data/faq_dev.csv"),
        "--agency",
        "Sở Y tế",
    ]
    first = subprocess.run(
        [*cmd, "--activate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Sở Y tế #1: 60 câu" in first.stdout and "kích hoạt" in first.stdout
    # the next version is compared with the active one
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "Sở Y tế #2: 60 câu (+0 mới, ~0 sửa, -0 bỏ)" in again.stdout


def test_import_cli_rejects_a_bad_file_and_stores_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Câu hỏi,Trả lời\nHỏi gì đó?,\n", encoding="utf-8")
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"}
    proc = subprocess.run(
        [sys.executable, "-m", "faq", "import", str(bad), "--agency", "Sở Y tế"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "thiếu nội dung trả lời" in proc.stdout and "chưa nhập câu hỏi nào" in proc.stdout
    assert not (tmp_path / "hub.sqlite3").exists()


def test_reply_texts_name_the_agency_and_number_the_choices(dev_engine: FaqEngine) -> None:
    from faq.reply import HANDOFF_TEXT, reply_text

    answer = reply_text(dev_engine.decide(SAME_QUESTION[0]))
    assert answer.endswith("(Nguồn: Văn phòng UBND tỉnh)")
    suggest = reply_text(dev_engine.decide("tiêm vắc xin")).splitlines()
    assert [line[:3] for line in suggest[1:4]] == ["1. ", "2. ", "3. "]
    assert reply_text(dev_engine.decide("xin chào")) == HANDOFF_TEXT


def test_query_file_with_bom_and_multiline_quoted_query(tmp_path: Path) -> None:
    from faq.evaluate import read_queries

    path = tmp_path / "q.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + 'query,expected_id\n"Chào tổng đài.\nCho hỏi, đky tk thế nào?",D058\nxin chào,\n'.encode()
    )
    queries, has_expected = read_queries(path)
    assert has_expected and len(queries) == 2
    assert queries[0].text == "Chào tổng đài.\nCho hỏi, đky tk thế nào?" and queries[0].expected_id == "D058"
    assert queries[1].expected_id is None and queries[1].kind == "-"


def test_repeating_a_word_does_not_buy_an_answer(dev_engine: FaqEngine) -> None:
    once = dev_engine.decide("cách ly").candidates[0].score
    spam = dev_engine.decide("cách ly " * 500)
    assert spam.decision != "answer"
    assert spam.candidates[0].score <= once + 0.5
