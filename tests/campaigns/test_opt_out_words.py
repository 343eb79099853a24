"""Which messages are a request to stop or resume announcements (a pure function)."""

from __future__ import annotations

import pytest

from campaigns.opt_out_words import OPT_IN, OPT_OUT, fold, subscription_request

STOPS = [
    "hủy đăng ký",
    "Hủy đăng ký",
    "HUỶ ĐĂNG KÍ!!!",
    "huy dang ky",
    "huy dk",
    "Hủy đk ạ",
    "dừng nhận tin",
    "Dung nhan tin",
    "DỪNG NHẬN TIN.",
    "dừng nhận tin nhé ad",
    "Ad ơi cho mình hủy đăng ký nhận tin với",
    "tôi muốn hủy đăng ký nhận thông báo",
    "ngừng gửi thông báo từ OA này",
    "thôi nhận tin",
    "tắt thông báo zalo",
    "tôi không muốn nhận tin nữa",
    "ko nhan tb nua",
    "đừng gửi tin nữa",
    "hủy đăng ký 🙏",
]
STARTS = [
    "đăng ký nhận tin",
    "Dang ky nhan tin",
    "đk nhận thông báo",
    "đăng ký nhận tin lại",
    "bật lại thông báo",
    "cho tôi đăng ký nhận tin tức ạ",
]
NEITHER = [
    "",
    "hủy",
    "đăng ký",
    "dừng lại",
    "thông báo",
    "tôi không tin",
    "không nhận tin nhắn",  # a complaint: a message did not arrive
    "đăng ký tiêm",
    "hủy đăng ký tiêm vắc xin",
    "làm sao hủy đăng ký tạm trú?",
    "Cho tôi hỏi thủ tục hủy đăng ký thường trú cần giấy tờ gì",
    "hủy đăng ký nhận tin thế nào?",
    "Tôi muốn hỏi cách hủy đăng ký nhận tin vì tôi đã chuyển đi nơi khác sinh sống và làm việc lâu rồi",
    "đăng ký nhận tin về lịch tiêm chủng cho con tôi ở phường nào",
    "dừng nhận tin " * 40,
]


@pytest.mark.parametrize("text", STOPS)
def test_stop_requests(text: str) -> None:
    assert subscription_request(text) == OPT_OUT


@pytest.mark.parametrize("text", STARTS)
def test_subscribe_requests(text: str) -> None:
    assert subscription_request(text) == OPT_IN


@pytest.mark.parametrize("text", NEITHER)
def test_other_messages_are_not_requests(text: str) -> None:
    assert subscription_request(text) is None


def test_fold() -> None:
    assert fold("Đừng GỬI tin, nhé!") == "dung gui tin nhe"
    assert fold("huỷ  đăng\tkí") == "huy dang ki"
