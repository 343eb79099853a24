"""Contact-form field helpers: Vietnamese phone numbers, names, refusals, suggestion choices."""

from __future__ import annotations

import pytest

from actions.fields import (
    clean_address,
    clean_name,
    find_email,
    is_refusal,
    is_vague,
    normalize_phone,
    parse_choice,
    refuses_everything,
)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("số em là 0912.345.678 ạ", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0237 3852 123", "02373852123"),
        ("0912 345 67", None),
        ("1912345678", None),
        ("0112345678", None),
        ("không có", None),
    ],
)
def test_normalize_phone(raw: str, phone: str | None) -> None:
    assert normalize_phone(raw) == phone


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("dạ tôi tên là nguyễn văn an ạ", "Nguyễn Văn An"),
        ("họ tên: Lê Thị Hoa", "Lê Thị Hoa"),
        ("Lê Thị Hoa", "Lê Thị Hoa"),
        ("em là Quỳnh", "Quỳnh"),
        ("0912345678", None),
        ("", None),
    ],
)
def test_clean_name(raw: str, name: str | None) -> None:
    assert clean_name(raw) == name


def test_clean_address_and_email() -> None:
    assert clean_address("địa chỉ: thôn Đông, xã Quảng Tân") == "thôn Đông, xã Quảng Tân"
    assert clean_address("nhà em ở xóm 3, xã Hoằng Phụ ạ") == "xóm 3, xã Hoằng Phụ"
    assert clean_address("ở") is None
    assert find_email("mail em là An.NV@Gmail.com nhé") == "an.nv@gmail.com"
    assert find_email("không có") is None


@pytest.mark.parametrize(
    ("text", "intent", "refused"),
    [
        ("không có", None, True),
        ("ko", None, True),
        ("bỏ qua", None, True),
        ("tôi không muốn cung cấp", None, True),
        ("thôi", "deny", True),
        ("Nguyễn Văn An", "provide_contact", False),
        ("xóm Không, xã Có", None, False),
        ("phường Ba Đình", "deny", False),
        ("thôn Thới Bình", None, False),
        ("không ạ", "deny", True),
    ],
)
def test_is_refusal(text: str, intent: str | None, refused: bool) -> None:
    assert is_refusal(text, intent) is refused


def test_refuses_everything() -> None:
    assert refuses_everything("tôi không muốn cung cấp thông tin")
    assert not refuses_everything("không có")


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("số 2", 2),
        ("câu thứ hai", 2),
        ("cau thu nhat", 1),
        ("cái cuối", 3),
        ("3", 3),
        ("số 5", None),
        ("gì", None),
    ],
)
def test_parse_choice(text: str, index: int | None) -> None:
    assert parse_choice(text, 3) == index


def test_is_vague() -> None:
    assert is_vague("em muốn hỏi")
    assert is_vague("cho hỏi chút ạ")
    assert not is_vague("tiêm vắc xin")
