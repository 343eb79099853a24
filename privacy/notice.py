"""The privacy notice (Law 91/2025/QH15, Điều 4: the right to be informed): the ONE place of
its words, so every channel says the same thing.

* :func:`short_notice` — 2–3 sentences told once at a citizen's first contact on a channel
  (the bot's first reply, the web chat's opening, a Zalo follow) with the link to the full
  notice;
* :func:`full_notice` — the sections of the public page ``/quyen-rieng-tu/``: who processes
  the data, why, which data, how long (the retention settings, ``HUB_RETENTION_*``, read as
  the retention job reads them), the rights, how to use them and the deadlines (the data
  requests' settings, ``HUB_DATA_REQUEST_DAYS_*``).

``HUB_PRIVACY_CONTROLLER``: the body that operates the hotline and decides what is done with
the data (the "bên kiểm soát dữ liệu cá nhân"); a neutral wording when not set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from privacy.anonymise import RetentionPolicy
from privacy.requests import KIND_LABELS, KINDS, Deadlines

PATH = "/quyen-rieng-tu/"
REQUEST_FORM_PATH = "/yeu-cau-du-lieu/"
DEFAULT_CONTROLLER = "Cơ quan chủ quản của tổng đài (đơn vị vận hành tổng đài)"

# the words a citizen can write in any channel (recognised by privacy.request_words)
PHRASES: dict[str, str] = {
    "view": "xem dữ liệu của tôi",
    "copy": "bản sao dữ liệu của tôi",
    "correct": "sửa dữ liệu của tôi",
    "delete": "xoá dữ liệu của tôi",
    "restrict": "hạn chế xử lý dữ liệu của tôi",
    "object": "phản đối xử lý dữ liệu của tôi",
    "withdraw_consent": "rút lại sự đồng ý",
}

SHORT_NOTICE = (
    "Về dữ liệu cá nhân: {hotline} lưu tin nhắn và thông tin anh/chị cung cấp (họ tên, số điện "
    "thoại, địa chỉ…) chỉ để tiếp nhận, giải đáp và chuyển cơ quan có thẩm quyền xử lý phản ánh, "
    "kiến nghị của anh/chị. Anh/chị có quyền xem, sửa, nhận bản sao, xoá hoặc hạn chế xử lý dữ liệu "
    'của mình, chẳng hạn nhắn "{view}" hoặc "{delete}". Chi tiết (thời hạn lưu, các quyền và thời '
    "hạn trả lời): {url}"
)


def page_url(public_url: str) -> str:
    return public_url.rstrip("/") + PATH


def short_notice(hotline: str, public_url: str) -> str:
    """The notice told at the first contact, with the link to the full page."""
    return SHORT_NOTICE.format(
        hotline=hotline, view=PHRASES["view"], delete=PHRASES["delete"], url=page_url(public_url)
    )


@dataclass(frozen=True)
class NoticeFacts:
    """What the full notice states, from the settings."""

    hotline: str
    controller: str
    retention: RetentionPolicy
    deadlines: Deadlines

    @classmethod
    def from_env(cls, hotline: str, env: Mapping[str, str]) -> NoticeFacts:
        return cls(
            hotline=hotline,
            controller=(env.get("HUB_PRIVACY_CONTROLLER") or "").strip() or DEFAULT_CONTROLLER,
            retention=RetentionPolicy.from_env(env),
            deadlines=Deadlines.from_env(env),
        )


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    anchor: str = ""


def _days(facts: NoticeFacts, kind: str) -> int:
    return int(facts.deadlines.days[kind])


def _deadline(facts: NoticeFacts, label: str, kind: str) -> str:
    n = _days(facts, kind)
    extension = f"nếu cần, gia hạn một lần thêm tối đa {n} ngày làm việc"
    return f"{label}: trả lời trong {n} ngày làm việc; {extension}."


def full_notice(facts: NoticeFacts) -> tuple[Section, ...]:
    """The sections of the public page, in order (plain text: the page escapes it)."""
    r = facts.retention
    return (
        Section(
            "Ai xử lý dữ liệu của anh/chị",
            (
                f"{facts.hotline} do {facts.controller} vận hành. Đơn vị này quyết định mục đích, "
                "cách xử lý dữ liệu cá nhân tiếp nhận qua tổng đài và chịu trách nhiệm bảo vệ dữ liệu đó.",
            ),
            anchor="ai-xu-ly",
        ),
        Section(
            "Vì sao",
            (
                "Để thực hiện nhiệm vụ theo quy định của pháp luật: tiếp nhận, giải đáp câu hỏi và "
                "phản ánh, kiến nghị của người dân, doanh nghiệp; chuyển cơ quan có thẩm quyền xử lý; "
                "liên hệ lại và báo kết quả cho anh/chị. Việc xử lý dữ liệu cho nhiệm vụ của cơ quan "
                "nhà nước theo luật định không cần sự đồng ý; dữ liệu không dùng cho mục đích khác "
                "và không bán, không cung cấp cho bên khác ngoài cơ quan xử lý yêu cầu.",
            ),
            anchor="vi-sao",
        ),
        Section(
            "Những dữ liệu nào",
            items=(
                "Họ tên, số điện thoại, địa chỉ, e-mail anh/chị cung cấp (để liên hệ lại và báo kết quả).",
                "Tên và mã tài khoản trên kênh anh/chị nhắn (Zalo, Facebook, e-mail, trò chuyện trên web).",
                "Nội dung tin nhắn, ảnh, tệp đính kèm và ghi âm cuộc gọi (nội dung cần giải quyết).",
                "Phiếu yêu cầu, quá trình xử lý và câu trả lời của cơ quan.",
            ),
            anchor="du-lieu",
        ),
        Section(
            "Lưu trong bao lâu",
            items=(
                f"Cuộc trò chuyện không tạo phiếu yêu cầu: {r.conversation_months} tháng kể từ tin nhắn "
                "cuối, sau đó được xoá thông tin nhận dạng.",
                f"Phiếu yêu cầu và hồ sơ xử lý: {r.ticket_years} năm kể từ khi xử lý xong.",
                f"Ghi âm cuộc gọi: {r.recording_years} năm.",
                f"Yêu cầu về dữ liệu cá nhân của anh/chị: {r.request_years} năm.",
                "Hồ sơ mà pháp luật (lưu trữ, khiếu nại, tố cáo…) buộc giữ lâu hơn được giữ theo quy "
                "định đó.",
            ),
            anchor="thoi-han-luu",
        ),
        Section(
            "Quyền của anh/chị",
            items=(
                "Được biết về việc xử lý dữ liệu của mình (trang này).",
                "Đồng ý hoặc không đồng ý, rút lại sự đồng ý.",
                "Xem, chỉnh sửa dữ liệu; nhận bản sao dữ liệu.",
                "Yêu cầu xoá dữ liệu hoặc hạn chế xử lý dữ liệu.",
                "Phản đối việc xử lý dữ liệu.",
                "Khiếu nại, tố cáo, khởi kiện theo quy định của pháp luật.",
            ),
            anchor="quyen",
        ),
        Section(
            "Cách thực hiện",
            (
                "Nhắn vào bất kỳ kênh nào của tổng đài (Zalo, Facebook, e-mail, trò chuyện trên web) "
                "một trong các câu dưới đây, hoặc dùng biểu mẫu yêu cầu về dữ liệu cá nhân "
                f"({REQUEST_FORM_PATH}) sau khi xác thực bằng mã phiếu và số điện thoại hoặc mã gửi "
                "qua e-mail.",
                "Khi pháp luật buộc giữ một hồ sơ (ví dụ phiếu yêu cầu đang hoặc đã được giải quyết), "
                "tổng đài có thể từ chối xoá; câu trả lời nêu rõ căn cứ và anh/chị có thể yêu cầu hạn "
                "chế xử lý thay cho việc xoá.",
            ),
            items=tuple(f"“{phrase}”" for phrase in PHRASES.values()),
            anchor="cach-thuc-hien",
        ),
        Section(
            "Thời hạn trả lời",
            (f"Tổng đài xác nhận đã nhận yêu cầu trong {_days(facts, 'ack')} ngày làm việc, sau đó:",),
            items=tuple(_deadline(facts, KIND_LABELS[kind].capitalize(), kind) for kind in KINDS),
            anchor="thoi-han-tra-loi",
        ),
    )
