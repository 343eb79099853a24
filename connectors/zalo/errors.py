"""Zalo OA error codes and how they become our own exceptions.

Zalo answers almost every API call with HTTP 200 and a JSON body ``{"error": <code>,
"message": "..."}``; ``error == 0`` is success. The codes below are the ones documented for
the Official Account API v3 (developers.zalo.me, "Bảng mã lỗi"); ``-124`` is the older
"access token invalid" code still returned by some endpoints.

:func:`to_send_error` maps a :class:`ZaloAPIError` to a :class:`connectors.base.SendError`
subclass; callers raise the result ``from`` the original error so the vendor detail is kept.
"""

from __future__ import annotations

from connectors import broadcast as bc
from connectors.base import PermanentSendError, RateLimited, SendError, TransientSendError
from connectors.broadcast import BroadcastError, CampaignHalted, RecipientSkipped, RetryLater

# --------------------------------------------------------------------------- codes

OK = 0
RATE_LIMIT = -32  # "Your application reached limit call api"
ATTACHMENT_EXPIRED = -100
SEND_FAILED = -200
INVALID_PARAM = -201
OA_DISABLED = -204
OA_NOT_EXIST = -205
API_NOT_SUPPORTED = -209
PARAM_EXCEEDS_LIMIT = -210
OUT_OF_QUOTA = -211
API_NOT_REGISTERED = -212
USER_NOT_FOLLOWER = -213
TOKEN_INVALID = -216
OUT_OF_QUOTA_RECEIVE = -218
APP_DISABLED = -219
TOKEN_EXPIRED = -220
OA_NOT_VERIFIED = -221
API_NOT_AUTHORIZED = -223
OA_TIER_REQUIRED = -224
USER_INACTIVE = -227
USER_NOT_INTERACTED_7D = -230
USER_NO_INTERACTION = -232
MESSAGE_TYPE_INVALID = -233
NIGHT_TIME = -234  # promotion messages go out only between 06:00 and 22:00 (Vietnam time)
USER_RESTRICTED = -244
TOKEN_INVALID_LEGACY = -124

TOKEN_ERRORS = frozenset({TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_INVALID_LEGACY})

DEFAULT_RATE_LIMIT_RETRY_AFTER = 60.0  # Zalo counts calls per minute and gives no Retry-After
QUOTA_RETRY_AFTER = 3600.0


class ZaloAPIError(Exception):
    """Zalo said ``error != 0`` (or the OAuth endpoint refused)."""

    def __init__(self, code: int, message: str = "", endpoint: str = "") -> None:
        super().__init__(code, message, endpoint)
        self.code = code
        self.message = message
        self.endpoint = endpoint

    def __str__(self) -> str:
        return f"Zalo {self.endpoint or 'API'}: lỗi {self.code} ({self.message or 'không rõ'})"


def is_token_error(code: int) -> bool:
    return code in TOKEN_ERRORS


# Vietnamese reasons shown to the operator when a message can never go out this way.
_PERMANENT: dict[int, str] = {
    USER_NOT_INTERACTED_7D: (
        "Người dùng chưa tương tác với OA trong 7 ngày qua nên Zalo không cho gửi tin tư vấn. "
        "Hãy liên hệ công dân qua kênh khác (điện thoại, e-mail) hoặc chờ họ nhắn lại OA."
    ),
    USER_NO_INTERACTION: (
        "Người dùng chưa phát sinh tương tác với OA (hoặc tương tác đã hết hạn) nên không gửi được "
        "tin tư vấn. Hãy liên hệ công dân qua kênh khác."
    ),
    USER_NOT_FOLLOWER: (
        "Người dùng chưa quan tâm OA (hoặc đã bỏ quan tâm) nên Zalo không cho gửi tin. "
        "Hãy liên hệ công dân qua kênh khác."
    ),
    USER_INACTIVE: "Tài khoản Zalo của người dùng bị khóa hoặc không hoạt động quá 45 ngày.",
    USER_RESTRICTED: "Người dùng đã chặn nhận loại tin này từ OA.",
    INVALID_PARAM: "Zalo từ chối nội dung tin nhắn (tham số không hợp lệ).",
    PARAM_EXCEEDS_LIMIT: "Tin nhắn vượt quá giới hạn Zalo cho phép (độ dài hoặc kích thước tệp).",
    MESSAGE_TYPE_INVALID: "Zalo không hỗ trợ loại tin nhắn này.",
    OA_DISABLED: "Official Account đã bị vô hiệu hóa: cần quản trị viên kiểm tra OA.",
    OA_NOT_EXIST: "Official Account không tồn tại: cần quản trị viên kiểm tra cấu hình.",
    APP_DISABLED: "Ứng dụng Zalo đã bị gỡ hoặc vô hiệu hóa: cần quản trị viên kiểm tra.",
    API_NOT_SUPPORTED: "Ứng dụng Zalo chưa được kích hoạt API gửi tin: cần quản trị viên kiểm tra.",
    API_NOT_REGISTERED: "Ứng dụng Zalo chưa đăng ký API này: cần quản trị viên kiểm tra.",
    API_NOT_AUTHORIZED: "OA chưa cấp quyền gửi tin cho ứng dụng: cần cấp quyền lại.",
    OA_NOT_VERIFIED: "OA chưa được xác thực nên không dùng được tính năng này.",
    OA_TIER_REQUIRED: "OA cần mua gói dịch vụ Zalo để gửi loại tin này.",
}


def to_send_error(err: ZaloAPIError) -> SendError:
    """Our exception for a Zalo error code (the caller raises it ``from err``)."""
    code = err.code
    if code == RATE_LIMIT:
        return RateLimited(
            "Zalo báo vượt giới hạn số lần gọi API; sẽ thử lại sau.",
            retry_after=DEFAULT_RATE_LIMIT_RETRY_AFTER,
            code=code,
        )
    if code in (OUT_OF_QUOTA, OUT_OF_QUOTA_RECEIVE):
        return RateLimited(
            "Hết hạn mức gửi tin Zalo; sẽ thử lại sau.", retry_after=QUOTA_RETRY_AFTER, code=code
        )
    reason = _PERMANENT.get(code)
    if reason is not None:
        return PermanentSendError(reason, code=code)
    # -200 "send message failed", -100 attachment expired (we upload again on retry), and any code
    # we do not know: try again later; the outbox gives up after its own retry budget.
    return TransientSendError(f"Zalo tạm thời không gửi được tin (mã {code}: {err.message}).", code=code)


# --------------------------------------------------------------------------- broadcasts

TRANSIENT_RETRY_AFTER = 300.0  # -200 and unknown codes: Zalo's trouble, try again in a while
NIGHT_FALLBACK_RETRY_AFTER = 600.0  # -234 while our clock says daytime (clocks disagree)
DAY_START_HOUR, DAY_END_HOUR = 6, 22  # promotions only between 06:00 and 22:00 local time

_SKIP: dict[int, tuple[str, str]] = {
    USER_NOT_FOLLOWER: (bc.NOT_FOLLOWER, "Người dùng chưa quan tâm (hoặc đã bỏ quan tâm) OA: bỏ qua."),
    OUT_OF_QUOTA_RECEIVE: (
        bc.USER_QUOTA,
        "Người dùng đã nhận đủ số tin truyền thông Zalo cho phép (trong ngày hoặc trong tháng): bỏ qua.",
    ),
    USER_RESTRICTED: (bc.USER_RESTRICTED, "Người dùng đã chặn nhận tin truyền thông từ OA: bỏ qua."),
    USER_INACTIVE: (
        bc.USER_INACTIVE,
        "Tài khoản Zalo của người dùng bị khóa hoặc lâu không hoạt động: bỏ qua.",
    ),
}
_HALT: dict[int, tuple[str, str]] = {
    OUT_OF_QUOTA: (
        bc.FEATURE_QUOTA,
        "OA đã dùng hết hạn mức gửi tin truyền thông của gói dịch vụ: chiến dịch dừng lại.",
    ),
    OA_TIER_REQUIRED: (
        bc.PACKAGE_TOO_LOW,
        "Gói dịch vụ của OA không cho phép gửi tin truyền thông: cần nâng cấp gói, chiến dịch dừng lại.",
    ),
}


def seconds_until_day(now: float, utc_offset_hours: float) -> float:
    """Seconds from ``now`` (epoch) until 06:00 local time at ``utc_offset_hours`` east of UTC."""
    local = now + utc_offset_hours * 3600.0
    into_day = local % 86400.0
    start, end = DAY_START_HOUR * 3600.0, DAY_END_HOUR * 3600.0
    if into_day < start:
        return start - into_day
    if into_day >= end:
        return 86400.0 - into_day + start
    return NIGHT_FALLBACK_RETRY_AFTER


def to_broadcast_error(err: ZaloAPIError, *, now: float, utc_offset_hours: float) -> BroadcastError:
    """Our broadcast exception for a Zalo error code (the caller raises it ``from err``)."""
    code = err.code
    if code in _SKIP:
        reason, text = _SKIP[code]
        return RecipientSkipped(text, reason=reason, code=code)
    if code in _HALT:
        reason, text = _HALT[code]
        return CampaignHalted(text, reason=reason, code=code)
    if code == RATE_LIMIT:
        return RetryLater(
            "Zalo báo vượt giới hạn số lần gọi API; sẽ gửi lại sau.",
            reason=bc.RATE_LIMITED,
            retry_after=DEFAULT_RATE_LIMIT_RETRY_AFTER,
            code=code,
        )
    if code == NIGHT_TIME:
        return RetryLater(
            "Zalo chỉ cho gửi tin truyền thông từ 06:00 đến 22:00; sẽ gửi tiếp lúc 06:00.",
            reason=bc.NIGHT_TIME,
            retry_after=seconds_until_day(now, utc_offset_hours),
            code=code,
        )
    reason_text = _PERMANENT.get(code)
    if reason_text is not None:
        text = f"Zalo từ chối yêu cầu (mã {code}): {reason_text}"
        return CampaignHalted(text, reason=bc.REJECTED, code=code)
    return RetryLater(
        f"Zalo tạm thời không gửi được tin (mã {code}: {err.message}); sẽ thử lại sau.",
        reason=bc.TRANSIENT,
        retry_after=TRANSIENT_RETRY_AFTER,
        code=code,
    )
