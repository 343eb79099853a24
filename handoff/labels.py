"""The one translation table: the Vietnamese label of every enum value a person sees in the
console, the export and the audit log (ticket statuses, ticket history actions, audit
actions, channels, roles, conversation states, message senders and delivery states).

:func:`label` gives the label; a value the table does not know comes back as it is, and is
logged once, so a new value shows up in the log instead of silently on the screen in English.
"""

from __future__ import annotations

import logging

from connectors.base import DeliveryStatus, SenderRole
from storage.models import ConversationState
from storage.models_console import Role, TicketStatus

log = logging.getLogger(__name__)

STATUS: dict[str, str] = {
    TicketStatus.NEW: "mới tiếp nhận",
    TicketStatus.REFUSED: "từ chối",
    TicketStatus.UNCLEAR: "chờ Sở TT&TT xác định thẩm quyền",
    TicketStatus.FORWARDED: "đã chuyển đơn vị",
    TicketStatus.IN_PROGRESS: "đang xử lý (đã hẹn lại)",
    TicketStatus.PHONE_ANSWERED: "đã trả lời qua điện thoại, chờ cập nhật",
    TicketStatus.ANSWERED: "đã trả lời",
    TicketStatus.CLOSED: "đã đóng",
}

# the actions of ticket history events (storage.models_console.TicketEvent.action)
TICKET_EVENT: dict[str, str] = {
    "received": "tiếp nhận",
    "citizen_note": "công dân bổ sung",
    "refused": "từ chối",
    "forwarded": "chuyển đơn vị",
    "assigned": "Sở TT&TT giao đơn vị",
    "call_transferred": "chuyển máy tới đơn vị",
    "unclear": "chuyển Sở TT&TT xác định thẩm quyền",
    "progress": "cập nhật tiến độ, hẹn lại",
    "phone_answered": "đã trả lời qua điện thoại",
    "answered": "đã trả lời",
    "more_info": "yêu cầu bổ sung thông tin",
    "sent_back": "đơn vị trả lại",
    "closed": "đóng phiếu",
    "overdue": "quá hạn",
    "breach": "vi phạm Điều 10.3",
    "urgent_set": "đánh dấu khẩn",
    "urgent_cleared": "bỏ đánh dấu khẩn",
    "published": "công khai câu trả lời (Điều 12)",
    "publication_withdrawn": "gỡ câu trả lời khỏi cổng thông tin",
    "no_publish_set": "công dân không muốn công khai",
    "no_publish_cleared": "bỏ ghi nhận không công khai",
}

# the actions of the audit log (storage.models_console.AuditLog.action)
AUDIT_ACTION: dict[str, str] = {
    "login": "đăng nhập",
    "logout": "đăng xuất",
    "change_password": "đổi mật khẩu",
    "reset_password": "đặt lại mật khẩu",
    "create_user": "tạo tài khoản",
    "edit_user": "sửa tài khoản",
    "activate_user": "mở khóa tài khoản",
    "deactivate_user": "khóa tài khoản",
    "save_agency": "lưu đơn vị",
    "save_domain": "lưu lĩnh vực",
    "save_canned": "lưu câu trả lời mẫu",
    "view_conversation": "xem hội thoại",
    "take_over": "nhận xử lý hội thoại",
    "reply": "trả lời công dân",
    "note": "ghi chú nội bộ",
    "hand_back": "trả hội thoại cho trợ lý ảo",
    "close_conversation": "đóng hội thoại",
    "merge_contacts": "gộp liên hệ",
    "edit_contact": "sửa thông tin liên hệ",
    "search_contacts": "tìm liên hệ",
    "view_ticket": "xem phiếu",
    "create_ticket": "lập phiếu",
    "log_call": "ghi phiếu cuộc gọi",
    "download_recording": "tải tệp ghi âm",
    "export_records": "xuất danh sách phiếu",
    "export_request_records": "xuất hồ sơ yêu cầu (Điều 11.1)",
    "export_report": "tải báo cáo",
    "more_info": "yêu cầu bổ sung thông tin",
    "refuse": "từ chối phiếu",
    "forward": "chuyển phiếu tới đơn vị",
    "unclear": "chuyển Sở TT&TT xác định thẩm quyền",
    "assign": "giao phiếu cho đơn vị",
    "progress": "cập nhật tiến độ",
    "phone_answered": "trả lời qua điện thoại",
    "answer": "trả lời phiếu",
    "send_back": "trả lại phiếu",
    "close": "đóng phiếu",
    "urgent": "đánh dấu / bỏ đánh dấu khẩn",
    "publish_answer": "công khai câu trả lời",
    "withdraw_answer": "gỡ câu trả lời công khai",
    "set_no_publish": "ghi nhận mong muốn không công khai",
    "faq.import": "nhập bộ câu hỏi",
    "faq.activate": "kích hoạt bộ câu hỏi",
    "faq.deactivate": "ngừng dùng bộ câu hỏi",
    "faq.mark_wrong": "đánh dấu câu trả lời sai",
    "faq.accept_phrasing": "nhận cách hỏi mới",
    "faq.reject_phrasing": "bỏ cách hỏi đề xuất",
    # announcements to followers (issue 17)
    "campaign_create": "soạn thông báo",
    "campaign_edit": "sửa thông báo",
    "campaign_submit": "gửi duyệt thông báo",
    "campaign_approve": "duyệt thông báo",
    "campaign_reject": "từ chối thông báo",
    "campaign_cancel": "hủy thông báo",
    "campaign_resume": "gửi tiếp thông báo",
    "campaign_export": "xuất báo cáo thông báo",
    "campaign_sending": "bắt đầu gửi thông báo",
    "campaign_done": "gửi xong thông báo",
    "campaign_halted": "thông báo bị dừng",
    "followers_resync": "đồng bộ người quan tâm",
    "contact_tags": "gắn nhãn công dân",
    # the integration API and outbound webhooks (issue 17)
    "api_request": "ứng dụng khác gọi API",
    "api_forbidden": "API: mã truy cập thiếu quyền",
    "api_revoked": "API: dùng mã truy cập đã thu hồi",
    "api_rate_limited": "API: vượt giới hạn số yêu cầu",
    "api_create_ticket": "ứng dụng khác lập phiếu qua API",
    "api_token_create": "tạo mã truy cập API",
    "api_token_revoke": "thu hồi mã truy cập API",
    "webhook_created": "tạo điểm nhận webhook",
    "webhook_disabled": "tạm dừng điểm nhận webhook",
    "webhook_enabled": "bật lại điểm nhận webhook",
    "webhook_deleted": "xoá điểm nhận webhook",
    "webhook_redelivered": "gửi lại webhook",
    # citizens' personal data (issue 18)
    "retention_run": "chạy lưu giữ dữ liệu hằng ngày",
    "legal_hold_place": "đặt lệnh giữ hồ sơ",
    "legal_hold_release": "gỡ lệnh giữ hồ sơ",
    "contact_export": "xuất bản sao dữ liệu của công dân",
    "contact_access_log": "xem nhật ký truy cập dữ liệu công dân",
    "copy_download": "công dân tải bản sao dữ liệu qua đường dẫn",
    "view_contact": "xem thông tin liên hệ",
    "breach_record": "ghi nhận vi phạm dữ liệu cá nhân",
    "breach_update": "sửa hồ sơ vi phạm dữ liệu cá nhân",
    "breach_notified": "đánh dấu đã thông báo cơ quan chuyên trách",
    "breach_close": "đóng vụ vi phạm dữ liệu cá nhân",
    "data_request_view": "xem yêu cầu về dữ liệu cá nhân",
    "data_request_acknowledge": "xác nhận yêu cầu về dữ liệu cá nhân",
    "data_request_extend": "gia hạn yêu cầu về dữ liệu cá nhân",
    "data_request_answer": "trả lời yêu cầu về dữ liệu cá nhân",
    "data_request_refuse": "từ chối yêu cầu về dữ liệu cá nhân",
    "data_request_anonymise": "ẩn danh hoá theo yêu cầu xoá dữ liệu",
    "restriction_lift": "bỏ hạn chế xử lý dữ liệu",
}

# the kinds of object an audit row names (AuditLog.object_type)
AUDIT_OBJECT: dict[str, str] = {
    "ticket": "phiếu",
    "user": "tài khoản",
    "conversation": "hội thoại",
    "contact": "liên hệ",
    "message": "tin nhắn",
    "agency": "đơn vị",
    "domain": "lĩnh vực",
    "canned": "câu trả lời mẫu",
    "faq_version": "bộ câu hỏi",
    "faq_phrasing": "cách hỏi đề xuất",
    "campaign": "thông báo",
    "channel": "kênh",
    "api_token": "mã truy cập API",
    "webhook_endpoint": "điểm nhận webhook",
    "webhook_delivery": "lần gửi webhook",
    "retention": "lưu giữ dữ liệu",
    "breach": "vụ vi phạm dữ liệu cá nhân",
    "data_request": "yêu cầu về dữ liệu cá nhân",
    "legal_hold": "lệnh giữ hồ sơ",
}

# connectors.registry.BUILTIN, plus "phone" for tickets of a logged call
CHANNEL: dict[str, str] = {
    "webchat": "Trò chuyện trên Web",
    "zalo": "Zalo",
    "facebook": "Facebook",
    "email": "Thư điện tử",
    "phone": "Điện thoại",
    "api": "Ứng dụng khác (API)",
}

ROLE: dict[str, str] = {
    Role.OPERATOR: "Cán bộ trực tổng đài",
    Role.AGENCY: "Cán bộ đầu mối đơn vị",
    Role.SUPERVISOR: "Sở TT&TT (giám sát)",
    Role.ADMIN: "Quản trị",
    Role.COMMUNICATIONS: "Cán bộ truyền thông",
}

CONVERSATION_STATE: dict[str, str] = {
    ConversationState.BOT: "trợ lý ảo trả lời",
    ConversationState.WAITING_HUMAN: "chờ cán bộ",
    ConversationState.HUMAN: "cán bộ đang xử lý",
    ConversationState.CLOSED: "đã đóng",
}

# who wrote a message in a conversation's history
SENDER: dict[str, str] = {
    SenderRole.CITIZEN: "Công dân",
    SenderRole.BOT: "Trợ lý ảo",
    SenderRole.OPERATOR: "Cán bộ",
    SenderRole.AGENCY: "Đơn vị",
    SenderRole.SYSTEM: "Hệ thống",
}

# an outbound message's delivery, as far as its channel reports it (read receipts)
DELIVERY: dict[str, str] = {
    DeliveryStatus.QUEUED: "đang gửi",
    DeliveryStatus.SENT: "đã gửi",
    DeliveryStatus.DELIVERED: "đã nhận",
    DeliveryStatus.READ: "đã xem",
    DeliveryStatus.FAILED: "gửi lỗi",
}

# how a request ended, in the records export and the report (handoff.records)
RESULT: dict[str, str] = {
    "bot_answer": "Trợ lý ảo trả lời",
    "bot_suggestion": "Trợ lý ảo trả lời qua câu gợi ý",
    "bot_refused": "Trợ lý ảo từ chối (ngoài phạm vi)",
    "operator_answered": "Cán bộ trực trả lời",
    "forwarded_answered": "Chuyển đơn vị, đã trả lời",
    "refused": "Từ chối",
    "closed": "Đã đóng",
    "pending": "Chờ xử lý",
    "at_agency": "Đơn vị đang xử lý",
}

TABLES: dict[str, dict[str, str]] = {
    "status": STATUS,
    "ticket_event": TICKET_EVENT,
    "audit_action": AUDIT_ACTION,
    "audit_object": AUDIT_OBJECT,
    "channel": CHANNEL,
    "role": ROLE,
    "conversation_state": CONVERSATION_STATE,
    "sender": SENDER,
    "delivery": DELIVERY,
    "result": RESULT,
}

_reported: set[tuple[str, str]] = set()


def label(kind: str, value: str | None) -> str:
    """The Vietnamese label of ``value`` of this kind (a key of :data:`TABLES`); a channel
    with an account after a colon ("zalo:oa2") is labelled by its channel. An unknown value
    comes back unchanged, logged once."""
    if value is None:
        return ""
    table = TABLES[kind]
    key = value.split(":", 1)[0] if kind == "channel" else value
    found = table.get(key)
    if found is not None:
        return found
    if (kind, value) not in _reported:
        _reported.add((kind, value))
        log.warning("no Vietnamese label for %s %r", kind, value)
    return value


def as_json() -> dict[str, dict[str, str]]:
    """The table for the console page (plain str keys)."""
    return {kind: {str(k): v for k, v in table.items()} for kind, table in TABLES.items()}
