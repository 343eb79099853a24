"""Graph API errors turned into the hub's :class:`SendError` family, with retry policy.

Graph answers errors as ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id", "is_transient"?}}``, usually with HTTP 400 (sometimes 403/429/5xx). We keep
the vendor's error as :class:`GraphError` and raise ours ``from`` it.

=================================  ===========================  =========
Graph code (/subcode)              our exception                retried?
=================================  ===========================  =========
190 (any subcode), 102             PageTokenInvalid (AuthExp.)  yes, after the operator renews the token
4, 17, 32, 613, 80006, HTTP 429    RateLimited (retry_after)    yes, after retry_after
1, 2, 1200, is_transient, 5xx      TransientSendError           yes
10/2018278, 10/2018065             OutsideWindow-like Permanent no
551, 10/2018108, 200/1545041       PermanentSendError           no
100, 10, 200, other 4xx            PermanentSendError           no
=================================  ===========================  =========
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import (
    AuthExpired,
    PermanentSendError,
    RateLimited,
    SendError,
    TransientSendError,
)

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80006})
TEMPORARY_CODES = frozenset({1, 2, 1200})
TOKEN_CODES = frozenset({102, 190})
DEFAULT_RETRY_AFTER = 60.0


@dataclass(eq=False)
class GraphError(Exception):
    """The error exactly as Graph reported it."""

    http_status: int
    message: str = ""
    code: int | None = None
    subcode: int | None = None
    type: str | None = None
    fbtrace_id: str | None = None
    is_transient: bool = False
    retry_after: float | None = None  # from Retry-After / X-*-Usage headers, seconds

    def __str__(self) -> str:
        code = f"{self.code}/{self.subcode}" if self.subcode else f"{self.code}"
        return f"Graph HTTP {self.http_status} error {code} ({self.type}): {self.message} [{self.fbtrace_id}]"

    @property
    def code_label(self) -> str:
        if self.code is None:
            return f"http_{self.http_status}"
        return f"{self.code}/{self.subcode}" if self.subcode else str(self.code)


class PageTokenInvalid(AuthExpired):
    """The Page access token is expired, revoked or invalid (190). Facebook offers no
    automatic refresh for Page tokens: an administrator must issue a new one and set
    ``FACEBOOK_PAGE_ACCESS_TOKEN``. Retryable, so queued messages are not lost meanwhile."""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``Retry-After`` or Graph's usage headers (whose
    ``estimated_time_to_regain_access`` is in minutes)."""
    value = headers.get("Retry-After")
    if value is not None:
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    best: float | None = None
    for name in ("X-Business-Use-Case-Usage", "X-Page-Usage", "X-App-Usage"):
        raw = headers.get(name)
        if raw:
            minutes = _regain_minutes(raw)
            if minutes is not None:
                best = max(best or 0.0, minutes * 60.0)
    return best


def _regain_minutes(raw: str) -> float | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    found: list[float] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, val in node.items():
                if key == "estimated_time_to_regain_access" and isinstance(val, int | float):
                    found.append(float(val))
                else:
                    walk(val)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    positive = [m for m in found if m > 0]
    return max(positive) if positive else None


def parse_graph_error(http_status: int, body: bytes, headers: Mapping[str, str]) -> GraphError:
    """Read Graph's error body; a non-JSON body (a proxy's HTML 502) still gives a GraphError."""
    retry_after = retry_after_from_headers(headers)
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        data = None
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        snippet = body[:200].decode("utf-8", "replace")
        return GraphError(http_status, message=snippet, retry_after=retry_after)
    return GraphError(
        http_status,
        message=str(err.get("message", "")),
        code=_int(err.get("code")),
        subcode=_int(err.get("error_subcode")),
        type=str(err["type"]) if err.get("type") is not None else None,
        fbtrace_id=str(err["fbtrace_id"]) if err.get("fbtrace_id") is not None else None,
        is_transient=err.get("is_transient") is True,
        retry_after=retry_after,
    )


def to_send_error(err: GraphError) -> SendError:
    """Our exception for a Graph error; the caller raises it ``from err``."""
    code, sub, label = err.code, err.subcode, err.code_label
    detail = f" (Facebook: mã {label}, {err.message})" if err.message else f" (Facebook: mã {label})"
    if code in TOKEN_CODES:
        return PageTokenInvalid(
            "Mã truy cập Trang Facebook (FACEBOOK_PAGE_ACCESS_TOKEN) đã hết hạn hoặc bị thu hồi. "
            "Mã của Trang không tự làm mới được: quản trị viên cần cấp mã mới; tin nhắn được giữ lại "
            "để gửi lại sau." + detail,
            code=label,
        )
    if code in RATE_LIMIT_CODES or (code is None and err.http_status == 429):
        wait = err.retry_after if err.retry_after is not None else DEFAULT_RETRY_AFTER
        return RateLimited(
            f"Facebook giới hạn tần suất gửi; thử lại sau {wait:.0f} giây." + detail,
            retry_after=wait,
            code=label,
        )
    if (code == 10 and sub in (2018278, 2018065)) or sub == 2018278:
        return PermanentSendError(
            "Facebook từ chối: tin nhắn nằm ngoài khung thời gian cho phép (quá 24 giờ, hoặc quá 7 ngày "
            "với thẻ HUMAN_AGENT). Hãy liên hệ công dân qua kênh khác." + detail,
            code=label,
        )
    if code == 551 or sub in (1545041, 2018108):
        return PermanentSendError(
            "Người dùng Facebook này hiện không nhận được tin nhắn (đã chặn Trang, khoá tài khoản "
            "hoặc không còn khả dụng). Hãy liên hệ công dân qua kênh khác." + detail,
            code=label,
        )
    if code in TEMPORARY_CODES or err.is_transient or err.http_status >= 500:
        return TransientSendError("Facebook tạm thời lỗi; sẽ thử gửi lại." + detail, code=label)
    if code == 100 and sub == 2018001:
        return PermanentSendError(
            "Facebook không tìm thấy người nhận (PSID không thuộc Trang này)." + detail, code=label
        )
    if code == 100:
        return PermanentSendError("Yêu cầu gửi Facebook không hợp lệ." + detail, code=label)
    if code in (10, 200) or (code is not None and 200 <= code < 300):
        return PermanentSendError(
            "Ứng dụng Facebook thiếu quyền gửi tin nhắn cho Trang (kiểm tra quyền pages_messaging)." + detail,
            code=label,
        )
    return PermanentSendError("Facebook từ chối tin nhắn." + detail, code=label)
