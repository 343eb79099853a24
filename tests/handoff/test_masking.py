"""Masking personal data before publishing (Điều 12): realistic citizens' questions, each
kind of datum in the ways people write it, what must stay (places, amounts, dates, legal
references, street names alone), the ticket's own data with and without diacritics, and
the re-check of an edited text."""

from __future__ import annotations

import pytest

from handoff.masking import PersonalData, leaks, mask, mask_answer

NAME, PHONE, ID, EMAIL, PLATE, ADDRESS = (
    "[họ tên]",
    "[số điện thoại]",
    "[số giấy tờ]",
    "[thư điện tử]",
    "[biển số xe]",
    "[địa chỉ]",
)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Số của tôi là 0912345678.", f"Số của tôi là {PHONE}."),
        ("Liên hệ 0912 345 678 giúp em", f"Liên hệ {PHONE} giúp em"),
        ("sđt: 0912.345.678", f"sđt: {PHONE}"),
        ("sđt 091-234-5678 nhé", f"sđt {PHONE} nhé"),
        ("gọi +84 912 345 678", f"gọi {PHONE}"),
        ("gọi +84912345678", f"gọi {PHONE}"),
        ("gọi (+84) 38 123 4567", f"gọi {PHONE}"),
        ("số 84987654321", f"số {PHONE}"),
        ("máy bàn 0237 3 852 123", f"máy bàn {PHONE}"),
        ("máy bàn (0237) 3852123", f"máy bàn {PHONE}"),
        ("máy bàn 02373852123.", f"máy bàn {PHONE}."),
        ("hai số 0912345678 0987654321", f"hai số {PHONE} {PHONE}"),
        ("Zalo 0389 123 456, có gì gọi lại", f"Zalo {PHONE}, có gì gọi lại"),
    ],
)
def test_phone_numbers(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("CCCD 038090012345 bị mất", f"CCCD {ID} bị mất"),
        ("số CCCD: 038 090 012 345", f"số CCCD: {ID}"),
        ("căn cước công dân số 038090012345", f"căn cước công dân số {ID}"),
        ("CMND 173456789 cấp năm 2010", f"CMND {ID} cấp năm 2010"),
        ("chứng minh nhân dân số 173.456.789", f"chứng minh nhân dân số {ID}"),
        ("mã định danh 038090012345", f"mã định danh {ID}"),
        ("số 038090012345 của tôi", f"số {ID} của tôi"),
        ("hộ chiếu C1234567", f"hộ chiếu {ID}"),
    ],
)
def test_id_numbers(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("gửi vào an.nguyen@gmail.com nhé", f"gửi vào {EMAIL} nhé"),
        ("Email: Tran_Thi.B+hs@thanhhoa.gov.vn.", f"Email: {EMAIL}."),
        ("xe 36A-123.45 bị phạt nguội", f"xe {PLATE} bị phạt nguội"),
        ("xe máy 36B1-234.56", f"xe máy {PLATE}"),
        ("biển 29LD-123.45", f"biển {PLATE}"),
        ("ô tô 36A 12345 và 36C-1234", f"ô tô {PLATE} và {PLATE}"),
        ("biển số 36a-123.45", f"biển số {PLATE}"),
    ],
)
def test_emails_and_plates(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Tôi là Nguyễn Văn An, xin hỏi", f"Tôi là {NAME}, xin hỏi"),
        ("em tên là Hùng, 20 tuổi", f"em tên là {NAME}, 20 tuổi"),
        ("Họ và tên: Đỗ Thị Mai", f"Họ và tên: {NAME}"),
        ("họ tên Lò Văn Pằn", f"họ tên {NAME}"),
        ("chị Lê Thị Hoa hỏi", f"chị {NAME} hỏi"),
        ("Ông Phạm Văn Long đã nộp", f"Ông {NAME} đã nộp"),
        ("anh/chị Trần Minh Đức ơi", f"anh/chị {NAME} ơi"),
        ("bà Hà hàng xóm", f"bà {NAME} hàng xóm"),
        ("cô giáo Lan dạy lớp 5", f"cô giáo {NAME} dạy lớp 5"),
        ("vợ tôi tên Hạnh đang ốm", f"vợ tôi tên {NAME} đang ốm"),
        ("mẹ tôi là Bùi Thị Nga", f"mẹ tôi là {NAME}"),
        ("hồ sơ của Nguyễn Thị Minh Khai nộp ngày 5/3", f"hồ sơ của {NAME} nộp ngày 5/3"),
    ],
)
def test_names(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "nhà ở số 12 ngõ 5 đường Lê Lợi, phường Điện Biên, TP Thanh Hóa",
            f"nhà ở {ADDRESS}, phường Điện Biên, TP Thanh Hóa",
        ),
        ("ở thôn 3 xã Quảng Phú huyện Quảng Xương", f"ở {ADDRESS} xã Quảng Phú huyện Quảng Xương"),
        ("dân thôn Yên Trung, xã Hoằng Hóa", f"dân {ADDRESS}, xã Hoằng Hóa"),
        ("nhà số 45B/2 Trần Hưng Đạo", ADDRESS),
        ("địa chỉ: số 7 Lê Hoàn, phường Lam Sơn", f"địa chỉ: {ADDRESS}, phường Lam Sơn"),
        ("hẻm 45/12 đường 3/2", ADDRESS),
        ("tổ dân phố 4 phường Đông Sơn", f"{ADDRESS} phường Đông Sơn"),
        ("tại xóm 2, xã Nga Thủy, huyện Nga Sơn", f"tại {ADDRESS}, xã Nga Thủy, huyện Nga Sơn"),
    ],
)
def test_house_addresses_masked_places_kept(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Mức hỗ trợ 150.000.000 đồng theo Quyết định số 12/2020/QĐ-UBND, điều 5",
        "Đường Bà Triệu và phố Trần Phú bị ngập; bà con Thanh Hóa lo lắng.",
        "Số tiền 500000000 đồng, hạn nộp ngày 12/03/2027 lúc 9 giờ",
        "mã phiếu 1022-2027-000001; gọi Tổng đài 1022",
        "Trường THPT Lê Văn Hưu ở huyện Thiệu Hóa tuyển sinh thế nào?",
        "em ở Thanh Hóa, cho em hỏi thủ tục cấp lại Căn cước công dân",
        "Cho em hỏi Sở Y tế làm việc mấy giờ, số 5 người có được không",
        "Tôi là người dân phường Ba Đình, lăng Chủ tịch Hồ Chí Minh",
        "Theo Nghị định 100/2019/NĐ-CP, mức phạt 4.000.000đ",
        "",
    ],
)
def test_what_is_not_personal_stays(text: str) -> None:
    assert mask(text) == text


def test_a_whole_question() -> None:
    question = (
        "Chào Tổng đài, tôi là Nguyễn Văn An (CCCD 038090012345), nhà ở số 12 ngõ 5 đường Lê Lợi, "
        "phường Điện Biên, TP Thanh Hóa, sđt 0912 345 678, email an.nguyen@gmail.com. Xe 36A-123.45 "
        "của tôi bị phạt nguội, nộp phạt ở đâu?"
    )
    assert mask(question) == (
        f"Chào Tổng đài, tôi là {NAME} (CCCD {ID}), nhà ở {ADDRESS}, phường Điện Biên, TP Thanh Hóa, "
        f"sđt {PHONE}, email {EMAIL}. Xe {PLATE} của tôi bị phạt nguội, nộp phạt ở đâu?"
    )


def _known() -> PersonalData:
    return PersonalData.of(
        names=["Nguyễn Văn An", None, "Bé Na"],
        phones=["+84 912 345 678"],
        emails=["An.Nguyen@Gmail.com"],
        addresses=["Số 12 ngõ 5 đường Lê Lợi, phường Điện Biên, TP Thanh Hóa", "Thanh Hóa"],
        texts=["Tôi mất CCCD 038090012345, chị gái tôi là Lê Thị Hoa"],
    )


def test_the_tickets_own_data() -> None:
    known = _known()
    assert known.ids == ("038090012345",)
    assert "Lê Thị Hoa" in known.names
    # only the house-level part of an address is personal; a province alone is none
    assert known.addresses == ("Số 12 ngõ 5 đường Lê Lợi",)
    text = (
        "NGUYỄN VĂN AN hỏi, nguyen van an hỏi lại; Văn An gọi 0912-34-56-78; "
        "an.nguyen@gmail.com; Bé Na; số CCCD cũ 038 090 012 345; SO 12 NGO 5 DUONG LE LOI"
    )
    assert mask(text, known) == (
        f"{NAME} hỏi, {NAME} hỏi lại; {NAME} gọi {PHONE}; {EMAIL}; {NAME}; số CCCD cũ {ID}; {ADDRESS}"
    )
    assert set(leaks(text, known)) == {
        "họ tên",
        "số điện thoại",
        "số CCCD/CMND",
        "địa chỉ thư điện tử",
        "địa chỉ",
    }


def test_leaks_only_the_tickets_own_data() -> None:
    known = _known()
    clean = (
        f"Tôi là {NAME}, ở phường Điện Biên, TP Thanh Hóa; gọi Sở GTVT số 0237 3 852 123; "
        "anh Bình ở xã bên cũng hỏi; nhà bên số 14 ngõ 5"
    )
    assert leaks(clean, known) == []
    assert leaks("Nguyễn Văn  An", known) == ["họ tên"]
    assert leaks("gọi lại 84 912 345 678 nhé", known) == ["số điện thoại"]
    assert leaks("hỏi về số 0912345679", known) == []
    # a one-word name is matched as written, never inside another word ("na" in "nay")
    one = PersonalData.of(names=["Na"])
    assert leaks("Hôm nay em hỏi", one) == []
    assert leaks("Na hỏi", one) == ["họ tên"]


def test_an_answer_keeps_the_agencys_contacts() -> None:
    known = _known()
    answer = (
        "Chào anh Nguyễn Văn An, Sở GTVT trả lời: anh nộp phạt tại số 5 đường Hạc Thành, "
        "liên hệ 0237 3 852 123. Xe 36A-123.45 đã được xử lý. Văn An mang CCCD 038090012345."
    )
    assert mask_answer(answer, known) == (
        f"Chào anh {NAME}, Sở GTVT trả lời: anh nộp phạt tại số 5 đường Hạc Thành, "
        f"liên hệ 0237 3 852 123. Xe {PLATE} đã được xử lý. {NAME} mang CCCD {ID}."
    )


def test_decomposed_input_is_read_as_composed() -> None:
    import unicodedata

    text = unicodedata.normalize("NFD", "chị Lê Thị Hoa, sđt 0912345678")
    assert mask(text) == f"chị {NAME}, sđt {PHONE}"
