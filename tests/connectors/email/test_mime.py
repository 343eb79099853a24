"""Golden .eml fixtures → InboundMessage (tests/connectors/email/payloads/)."""

from __future__ import annotations

import base64
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.base import EventKind, PayloadError
from connectors.email.mime import parse_email, synthetic_message_id
from connectors.email.parts import MimeLimits
from connectors.email.text import html_to_text

from .conftest import PAYLOADS, payload

OWN = ("1022@thanhhoa.example",)


def test_plain_text_message() -> None:
    msg = parse_email(payload("plain.eml"), own_addresses=OWN)
    assert msg.channel == "email" and msg.kind is EventKind.MESSAGE
    assert msg.external_user_id == "nguyen.van.a@example.vn"  # lower-cased From address
    assert msg.channel_message_id == "<plain-001@example.vn>"
    assert msg.subject == "Hỏi về thủ tục cấp giấy phép xây dựng"
    assert msg.text.startswith("Kính gửi Tổng đài 1022,\nTôi muốn hỏi thủ tục")
    assert msg.sent_at == datetime(2026, 11, 23, 8, 15, tzinfo=timezone(timedelta(hours=7)))
    assert msg.profile is not None
    assert msg.profile.display_name == "Nguyễn Văn A"
    assert msg.profile.email == "nguyen.van.a@example.vn"
    assert msg.auto_generated is False
    assert msg.reply_to_ids == ()
    assert msg.attachments == ()
    assert msg.raw["to"] == ["1022@thanhhoa.example"]


def test_html_only_becomes_safe_text() -> None:
    msg = parse_email(payload("html_only.eml"), own_addresses=OWN)
    assert msg.text == (
        "Kính gửi Tổng đài 1022,\n\nĐường Lê Lợi bị ngập & hỏng đèn.\n\n- Điểm 1\n- Điểm 2\n\n"
        "Xem ảnh (https://example.vn/anh)\nTrân trọng\n[bản đồ]"
    )
    for banned in ("alert", "xss", "document.write", "color:red", "Tiêu đề ẩn", "<", "comment"):
        assert banned not in msg.text


def test_html_to_text_edge_cases() -> None:
    assert html_to_text("<p>a<script>evil()</script>b</p><style>x{}</style>") == "ab"
    assert html_to_text("<a href='javascript:alert(1)'>bấm</a>") == "bấm"
    assert html_to_text("<a href='mailto:x@y.vn'>x@y.vn</a>") == "x@y.vn"
    assert html_to_text("&lt;b&gt; &amp; &#273;&#7891;ng") == "<b> & đồng"
    assert html_to_text("<div><unclosed <b>text").endswith("text")  # malformed markup: no crash
    assert html_to_text("<table><tr><td>A</td><td>B</td></tr></table>") == "A B"


def test_multipart_alternative_prefers_plain_text() -> None:
    msg = parse_email(payload("alternative.eml"), own_addresses=OWN)
    assert msg.text == "Phiên bản văn bản thuần: lịch tiếp công dân tháng 12?"


def test_attachments_with_rfc2231_names_and_inline_image() -> None:
    msg = parse_email(payload("attachments.eml"), own_addresses=OWN)
    assert msg.text == "Hồ sơ đính kèm, xin xem giúp."
    image, pdf = msg.attachments
    assert (image.kind, image.name, image.mime_type) == ("image", "anh.png", "image/png")
    assert image.data is not None and image.data.startswith(b"\x89PNG") and image.size == len(image.data)
    assert image.meta["content_id"] == "anh1@example.vn" and image.meta["inline"] is True
    assert (pdf.kind, pdf.name, pdf.mime_type) == ("file", "đơn đề nghị.pdf", "application/pdf")
    assert pdf.data is not None and pdf.data.startswith(b"%PDF-1.4") and pdf.size == 1040
    assert unicodedata.is_normalized("NFC", pdf.name or "")


def test_oversized_attachment_is_recorded_without_data() -> None:
    limits = MimeLimits(max_attachment_bytes=10_000)
    msg = parse_email(payload("oversized_attachment.eml"), own_addresses=OWN, limits=limits)
    video, note = msg.attachments
    assert video.kind == "video" and video.name == "hien-truong.mp4"
    assert video.data is None
    assert video.size is not None and video.size > 10_000
    assert video.meta["omitted"] == "too_large" and video.meta["limit"] == 10_000
    assert "vượt quá giới hạn" in video.meta["reason"]
    assert note.data == "nhỏ thôi".encode() and note.name == "ghi-chu.txt"
    # with the default limits, the same video is kept whole
    whole = parse_email(payload("oversized_attachment.eml")).attachments[0]
    assert whole.data is not None and len(whole.data) == 40_000


def test_total_and_count_limits() -> None:
    msg = parse_email(
        payload("attachments.eml"), limits=MimeLimits(max_total_attachment_bytes=500, max_attachments=5)
    )
    image, pdf = msg.attachments
    assert image.data is not None
    assert pdf.data is None and pdf.meta["omitted"] == "total_too_large"
    one = parse_email(payload("attachments.eml"), limits=MimeLimits(max_attachments=1))
    assert one.attachments[1].meta["omitted"] == "too_many" and one.attachments[1].data is None


def test_rfc2047_subject_and_from() -> None:
    msg = parse_email(payload("rfc2047.eml"), own_addresses=OWN)
    assert msg.subject == "Phản ánh rác thải ở phường Ba Đình"
    assert msg.profile is not None and msg.profile.display_name == "Trần Thị Bình"
    assert msg.external_user_id == "tran.thi.b@example.vn"


def test_windows_1258_is_decoded_and_nfc_normalised() -> None:
    msg = parse_email(payload("windows1258.eml"), own_addresses=OWN)
    expected = "Xin chào, tôi ở Thanh Hóa, phường Điện Biên."
    assert msg.text == expected
    assert unicodedata.is_normalized("NFC", msg.text)
    assert msg.subject == "Thu Việt"
    # the raw bytes really are decomposed (base letter + combining tone mark)
    assert b"cha=CCo" in payload("windows1258.eml")  # "a" + U+0300 in Windows-1258


def test_unknown_charset_decoded_with_replacement() -> None:
    msg = parse_email(payload("unknown_charset.eml"), own_addresses=OWN)
    assert msg.text.startswith("Nội dung ") and msg.text.endswith(" lạ")
    assert "\ufffd" in msg.text
    assert msg.subject == "Chào bạn"


def test_bogus_base64_gives_best_effort_text() -> None:
    msg = parse_email(payload("bogus_base64.eml"), own_addresses=OWN)
    assert msg.text.startswith("Xin chào Tổng đ")


def test_raw_8bit_headers() -> None:
    msg = parse_email(payload("raw_8bit_headers.eml"))
    assert msg.subject == "Tiêu đề UTF-8 không mã hoá"
    assert msg.profile is not None and msg.profile.display_name == "Lê Thị C"
    assert msg.sent_at is None  # no Date header


def test_reply_with_in_reply_to_and_references() -> None:
    msg = parse_email(payload("reply_in_reply_to.eml"), own_addresses=OWN)
    # In-Reply-To first, then References newest first, no duplicates
    assert msg.reply_to_ids == ("<1022.m42.c7@thanhhoa.example>", "<plain-001@example.vn>")
    assert msg.subject == "RE: Re: [1022-2026-000123] Hỏi về thủ tục"


def test_subject_with_ticket_code_is_kept() -> None:
    msg = parse_email(payload("ticket_subject.eml"), own_addresses=OWN)
    assert msg.subject == "Bổ sung hồ sơ cho phiếu [1022-2026-000123]"
    assert msg.reply_to_ids == ()


def test_missing_message_id_gets_a_stable_one() -> None:
    raw = payload("no_message_id.eml")
    first, second = parse_email(raw), parse_email(raw)
    assert first.channel_message_id == second.channel_message_id == synthetic_message_id(raw)
    assert first.channel_message_id is not None and first.channel_message_id.endswith("@generated.invalid>")
    assert first.raw["generated_message_id"] is True
    assert parse_email(raw + b"x").channel_message_id != first.channel_message_id


def test_forwarded_message_is_an_attachment() -> None:
    msg = parse_email(payload("forwarded.eml"))
    assert msg.text == "Chuyển tiếp thư của phường."
    (fwd,) = msg.attachments
    assert fwd.mime_type == "message/rfc822" and fwd.data is not None and b"Noi dung thong bao" in fwd.data


AUTOMATIC = {
    "auto_submitted.eml": "auto-submitted",
    "auto_submitted_generated.eml": "auto-submitted",
    "precedence_bulk.eml": "precedence",
    "precedence_list.eml": "precedence",
    "precedence_junk.eml": "precedence",
    "list_unsubscribe.eml": "list",
    "empty_return_path.eml": "empty-return-path",
    "postmaster.eml": "mailer-daemon",
    "own_address.eml": "own-address",
    "x_autoreply.eml": "vendor-auto-reply",
    "bounce_mailer_daemon.eml": "auto-submitted",
}


@pytest.mark.parametrize(("name", "reason"), sorted(AUTOMATIC.items()))
def test_automatic_mail_is_flagged(name: str, reason: str) -> None:
    msg = parse_email(payload(name), own_addresses=OWN)
    assert msg.auto_generated is True
    assert msg.raw["auto_generated_reason"] == reason


def test_person_mail_is_not_flagged() -> None:
    for name in ("auto_submitted_no.eml", "plain.eml", "reply_in_reply_to.eml", "attachments.eml"):
        assert parse_email(payload(name), own_addresses=OWN).auto_generated is False, name


def test_bounce_from_mailer_daemon_without_auto_submitted() -> None:
    raw = payload("bounce_mailer_daemon.eml").replace(b"Auto-Submitted: auto-replied\r\n", b"")
    msg = parse_email(raw.replace(b"Return-Path: <>\r\n", b""), own_addresses=OWN)
    assert msg.auto_generated and msg.raw["auto_generated_reason"] == "mailer-daemon"
    assert msg.external_user_id == "mailer-daemon@mail.thanhhoa.example"
    names = [a.name for a in msg.attachments]
    assert names == ["trang-thai-gui.txt", "thu-chuyen-tiep.eml"]


def test_own_address_only_when_configured() -> None:
    assert parse_email(payload("own_address.eml")).auto_generated is False
    assert parse_email(payload("own_address.eml"), own_addresses=["1022@THANHHOA.example"]).auto_generated


def test_every_golden_file_parses_to_nfc_without_nul() -> None:
    for path in sorted(PAYLOADS.glob("*.eml")):
        msg = parse_email(path.read_bytes(), own_addresses=OWN)
        for text in (msg.text, msg.subject or "", msg.external_user_id):
            assert unicodedata.is_normalized("NFC", text), path.name
            assert "\x00" not in text
            text.encode("utf-8")  # no lone surrogates


def test_text_too_long_is_cut_and_kept_whole_as_a_file() -> None:
    body = ("Nội dung dài. " * 2000).encode()
    raw = b"From: a@example.vn\r\nSubject: dai\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
    msg = parse_email(raw, limits=MimeLimits(max_text_chars=1000))
    assert len(msg.text) == 1000 and msg.raw["text_truncated"] is True
    (full,) = msg.attachments
    assert full.name == "noi-dung-day-du.txt" and full.data == body.strip()


def test_nul_bytes_and_nfd_are_cleaned() -> None:
    body = unicodedata.normalize("NFD", "Hỏi\x00 về").encode()
    raw = b"From: a@example.vn\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
    assert parse_email(raw).text == "Hỏi về"


def test_base64_encoded_word_with_bad_padding_in_subject() -> None:
    enc = base64.b64encode("Chào".encode()).decode().rstrip("=")
    raw = f"From: a@example.vn\r\nSubject: =?utf-8?B?{enc}?=\r\n\r\nx".encode()
    msg = parse_email(raw)
    assert msg.subject is not None and "Ch" in msg.subject


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"", "Thư rỗng"),
        (b"   \r\n ", "Thư rỗng"),
        (b"Subject: no sender\r\n\r\nbody", "người gửi"),
        (b"\x00\x01\x02 random", "người gửi"),
    ],
)
def test_not_an_email_raises_a_clear_error(raw: bytes, why: str) -> None:
    with pytest.raises(PayloadError, match=why):
        parse_email(raw)


def test_sender_falls_back_to_reply_to_and_naive_date_is_utc() -> None:
    raw = b"From: broken\r\nReply-To: Citizen <Citizen@Example.VN>\r\nDate: 23 Nov 2026 08:00:00\r\n\r\nx"
    msg = parse_email(raw)
    assert msg.external_user_id == "citizen@example.vn"
    assert msg.sent_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # no zone → UTC


def test_web_form_from_noreply_belongs_to_the_person_in_reply_to() -> None:
    raw = (
        "From: Cổng 1022 <noreply@1022.thanhhoa.example>\r\nReply-To: Lê Văn D <Le.Van.D@example.vn>\r\n"
        "Subject: Phản ánh từ cổng thông tin\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNội dung."
    ).encode()
    msg = parse_email(raw, own_addresses=OWN)
    assert msg.external_user_id == "le.van.d@example.vn"
    assert msg.profile is not None and msg.profile.display_name == "Lê Văn D"
    assert msg.auto_generated is False
    alone = parse_email(raw.replace(b"Reply-To: L\xc3\xaa V\xc4\x83n D <Le.Van.D@example.vn>\r\n", b""))
    assert alone.external_user_id == "noreply@1022.thanhhoa.example"
    assert alone.auto_generated and alone.raw["auto_generated_reason"] == "robot-sender"


def test_bounce_names_our_message_and_what_happened() -> None:
    failed = parse_email(payload("bounce_mailer_daemon.eml"), own_addresses=OWN)
    assert failed.raw_type == "delivery_report" and failed.auto_generated
    assert failed.refers_to == ("<hub-1@thanhhoa.example>",)
    assert failed.raw["delivery_report"] == {
        "action": "failed",
        "status": "5.1.1",
        "recipients": ["khongco@example.vn"],
        "message_ids": ["<hub-1@thanhhoa.example>"],
    }
    delayed = parse_email(payload("bounce_delayed_rfc822_headers.eml"), own_addresses=OWN)
    assert delayed.auto_generated and delayed.raw["auto_generated_reason"] == "empty-return-path"
    assert delayed.refers_to == ("<hub.9.101.abcdef123456@thanhhoa.example>",)
    report = delayed.raw["delivery_report"]
    assert (report["action"], report["status"], report["recipients"]) == (
        "delayed",
        "4.4.1",
        ["tran.van.e@example.vn"],
    )
    assert delayed.text == "Thư chưa chuyển được, máy chủ sẽ thử lại."
    assert parse_email(payload("plain.eml")).refers_to == ()
    assert "delivery_report" not in parse_email(payload("plain.eml")).raw
