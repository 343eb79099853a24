"""Table tests of the generic language cues: accented, no-diacritics and teencode spellings.

The examples are written for these tests (generic citizen language), not taken from any
evaluation set.
"""

from __future__ import annotations

import pytest

from actions import cues


@pytest.mark.parametrize(
    "text",
    [
        "Làm căn cước ở đâu?",
        "lam can cuoc o dau",
        "thủ tục đăng ký kết hôn gồm những gì",
        "bao lâu thì có kết quả xét nghiệm",
        "con tôi 5 tuổi có được tiêm không",
        "xe khách đi Hà Nội đã chạy lại chưa ạ",
        "cho e hỏi giấy khai sinh làm ở đâu ạ",
        "lm giấy khai sinh ntn",
        "phí cấp đổi bn tiền vậy ad",
        "nộp hồ sơ online được ko",
        "tại sao tôi chưa nhận được tiền hỗ trợ",
        "khi nao truong hoc mo cua lai",
        "ai phụ trách cấp phép xây dựng ở xã",
        "đi tỉnh khác về có phải cách ly không",
        "xin hỏi về thủ tục cấp lại bằng lái",
        "đăng ký tạm trú qua công an xã hay qua mạng",
        "giấy xác nhận độc thân mấy ngày thì có",
        "lay j chung minh noi o bay gio",
    ],
)
def test_questions(text: str) -> None:
    assert cues.is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "Không",
        "Chưa ạ",
        "ko phải",
        "Cảm ơn nhiều",
        "Đêm nào cũng có người hát karaoke đến khuya",
        "nhà bên cạnh không có ai ở nhà mấy hôm nay",
        "không có gì đâu",
        "duong o dau ngo nha toi bi ngap",
        "cột điện có thể đổ bất cứ lúc nào",
        "mương nước bị ai lấp mất rồi",
    ],
)
def test_not_questions(text: str) -> None:
    assert not cues.is_question(text)


@pytest.mark.parametrize(
    ("text", "foreign"),
    [
        ("Hello, how can I get a visa extension here?", True),
        ("where is the nearest hospital please", True),
        ("Je voudrais savoir où faire un test", True),
        ("我想问一下隔离政策", True),
        ("안녕하세요 질문이 있습니다", True),
        ("Привет, мне нужна помощь", True),
        ("cho toi hoi lam can cuoc o dau", False),
        ("nguoi nuoc ngoai o viet nam can giay to gi", False),
        ("ok ad", False),
        ("hello mn", False),
        ("test pcr o dau", False),
        ("đăng ký online trên app được ko", False),
        ("xin chao", False),
        ("asdfghjkl", False),
        ("đăng ký tài khoản trên dichvucong.gov.vn được không", False),
    ],
)
def test_foreign(text: str, foreign: bool) -> None:
    assert cues.is_foreign(text) is foreign


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("cho tôi gặp cán bộ", True),
        ("nối máy cho tổng đài viên giúp tôi", True),
        ("tôi muốn nói chuyện với người thật", True),
        ("gap nhan vien", True),
        ("cho mình gặp ng thật đc ko", True),
        ("có ai trực không ạ", True),
        ("gọi lại cho tôi số 0912345678", True),
        ("ket noi voi can bo giup toi", True),
        ("cán bộ phường không tiếp dân", False),
        ("thủ tục đổi bằng lái ở đâu", False),
        ("tôi gặp khó khăn khi nộp hồ sơ", False),
        ("cảm ơn cán bộ", False),
    ],
)
def test_asks_for_person(text: str, asks: bool) -> None:
    assert cues.asks_for_person(text) is asks


def test_matter_of() -> None:
    assert cues.matter_of("cho tôi gặp cán bộ") is None
    assert cues.matter_of("e mún nch vs cán bộ ạ") is None
    assert cues.matter_of("nhờ cán bộ gọi lại số 0912 345 678, tên là Trần Văn Nam") is None
    matter = cues.matter_of("Cho tôi gặp cán bộ về việc nhà tôi bị ngập nước ba ngày")
    assert matter == "việc nhà tôi bị ngập nước ba ngày"
    matter = cues.matter_of("cho gap can bo, toi muon hoi ve tien tro cap that nghiep")
    assert matter is not None and "tro cap that nghiep" in matter


@pytest.mark.parametrize(
    ("text", "report"),
    [
        ("Tôi muốn phản ánh việc xả rác ra bờ sông", True),
        ("Đường liên thôn bị xe tải cày nát, bụi mù mịt suốt mấy tháng nay", True),
        ("de nghi cong an kiem tra quan net mo qua dem", True),
        ("có người giả danh cán bộ điện lực thu tiền từng nhà, đề nghị xử lý", True),
        ("thủ tục cấp sổ đỏ thế nào", False),
        ("cảm ơn", False),
        ("bảo hiểm y tế hộ gia đình đóng bao nhiêu", False),
    ],
)
def test_report_like(text: str, report: bool) -> None:
    assert cues.report_like(text) is report


def test_report_matter() -> None:
    assert cues.report_matter("tôi muốn phản ánh") is None
    assert cues.report_matter("Phản ánh, kiến nghị") is None
    assert cues.report_matter("phản ánh việc đốt rơm gây khói") == "phản ánh việc đốt rơm gây khói"


@pytest.mark.parametrize(
    "text", ["bỏ qua", "Bỏ qua", "bo qua", "không có", "ko có email", "tôi không muốn cung cấp", "skip", "-"]
)
def test_skip(text: str) -> None:
    assert cues.wants_skip(text)


@pytest.mark.parametrize(
    "text", ["0912345678", "Nguyễn Văn An", "xã Quảng Phú, huyện Quảng Xương", "an@gmail.com"]
)
def test_not_skip(text: str) -> None:
    assert not cues.wants_skip(text)
    assert not cues.wants_cancel(text)


@pytest.mark.parametrize("text", ["hủy", "huy", "thôi không cần nữa", "không gửi nữa", "dừng lại"])
def test_cancel(text: str) -> None:
    assert cues.wants_cancel(text)


def test_bo_qua_is_not_cancel() -> None:
    assert not cues.wants_cancel("bỏ qua")


@pytest.mark.parametrize("text", ["Đúng", "đúng rồi ạ", "vâng", "uk", "ok ad", "dạ phải"])
def test_affirm(text: str) -> None:
    assert cues.is_affirm(text) and not cues.is_deny(text)


@pytest.mark.parametrize("text", ["Không phải", "ko", "sai rồi", "không đúng", "chưa ạ", "k ạ"])
def test_deny(text: str) -> None:
    assert cues.is_deny(text) and not cues.is_affirm(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        ("số 2", 2),
        ("câu thứ hai", 2),
        ("cái cuối", 3),
        ("chọn câu 1 nhé", 1),
        ("tôi có hai con nhỏ", None),
        ("5", None),
        ("0912345678", None),
    ],
)
def test_choice(text: str, expected: int | None) -> None:
    assert cues.choice(text, 3) == expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("chào ad", "greet"),
        ("xin chao", "greet"),
        ("hello mn", "greet"),
        ("cảm ơn nhiều ạ", "thank"),
        ("tks ad", "thank"),
        ("cam on ban", "thank"),
        ("tạm biệt", "goodbye"),
        ("bye ad", "goodbye"),
        ("thôi em đi đây", "goodbye"),
        ("vâng ạ", "affirm"),
        ("không phải", "deny"),
        ("cho gặp cán bộ", "request_human"),
        ("làm hộ chiếu ở đâu", "ask_question"),
        ("tôi muốn tố giác một nhóm đánh bạc ở xóm tôi", "report_incident"),
        ("chào buổi trưa", "greet"),
        ("thôi mình off nhé", "goodbye"),
        ("không cần đâu ạ", "deny"),
        ("ad ơi có ai online không", "request_human"),
        ("bọn trẻ đốt pháo nổ mỗi tối ở bãi đất trống sau chợ", "report_incident"),
        ("asdkjh", None),
    ],
)
def test_read_acts(text: str, intent: str | None) -> None:
    parse = cues.read_acts(text)
    assert parse.intent == intent
    assert parse.source == "cues"
    assert (parse.confidence > 0) is (intent is not None)


def test_read_acts_entities() -> None:
    parse = cues.read_acts("tên tôi là Trần Thị Mai, số 0912 345 678")
    found = {e.name: e.value for e in parse.entities}
    assert found == {"person_name": "Trần Thị Mai", "phone": "0912345678"}


@pytest.mark.parametrize(
    ("text", "gibberish"),
    [("asdfghjkl", True), ("xyzxyz", True), ("ok", False), ("alo", False), ("Alô", False)],
)
def test_gibberish(text: str, gibberish: bool) -> None:
    assert cues.is_gibberish(text) is gibberish


@pytest.mark.parametrize("name", ["Phạm Thị Dung", "Nguyễn Văn Huy", "Lê Thị Thoi"])
def test_a_name_written_with_diacritics_is_read_as_written(name: str) -> None:
    """In a text written with diacritics a bare word is that word: "Dung" is no "dừng",
    "Huy" no "hủy", "Thoi" no "thôi"."""
    assert not cues.wants_cancel(name)


@pytest.mark.parametrize("text", ["dung lai", "huy yeu cau", "thoi khong can nua"])
def test_cancel_typed_without_diacritics_still_heard(text: str) -> None:
    assert cues.wants_cancel(text)
