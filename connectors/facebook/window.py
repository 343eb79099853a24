"""Messenger's messaging windows (clock-injected, no I/O).

* within 24 h of the citizen's last message: ``messaging_type: RESPONSE``;
* between 24 h and 7 days: only a human may answer, with ``MESSAGE_TAG`` + ``HUMAN_AGENT``;
* beyond 7 days nothing may be sent.

Sends the policy forbids are refused here, before Facebook is called, with a reason the
operator reads (Vietnamese).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.base import PermanentSendError, SenderRole

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
HUMAN_ROLES = frozenset({SenderRole.OPERATOR, SenderRole.AGENCY})


@dataclass(frozen=True, slots=True)
class WindowDecision:
    messaging_type: str  # RESPONSE | MESSAGE_TAG
    tag: str | None = None  # HUMAN_AGENT when messaging_type is MESSAGE_TAG

    def fields(self) -> dict[str, str]:
        """The Send API fields this decision adds to a request."""
        out = {"messaging_type": self.messaging_type}
        if self.tag:
            out["tag"] = self.tag
        return out


RESPONSE = WindowDecision("RESPONSE")
HUMAN_AGENT = WindowDecision("MESSAGE_TAG", "HUMAN_AGENT")


class OutsideWindow(PermanentSendError):
    """The send is outside Messenger's windows; refused before calling Facebook."""


def decide(now: float, last_inbound_at: datetime | None, role: SenderRole) -> WindowDecision:
    """Pick the messaging type for a send at ``now`` (epoch seconds), or raise
    :class:`OutsideWindow`.

    Without ``last_inbound_at`` the hub does not know when the citizen last wrote; we then
    send as a response and let Facebook judge (an error 10/2018278 becomes a permanent
    failure with the same reason).
    """
    if last_inbound_at is None:
        return RESPONSE
    if last_inbound_at.tzinfo is None:
        last_inbound_at = last_inbound_at.replace(tzinfo=UTC)
    age = datetime.fromtimestamp(now, UTC) - last_inbound_at
    if age < STANDARD_WINDOW:
        return RESPONSE
    hours = int(age.total_seconds() // 3600)
    if age >= HUMAN_AGENT_WINDOW:
        raise OutsideWindow(
            f"Không gửi được qua Facebook: công dân nhắn lần cuối cách đây {hours} giờ, quá 7 ngày "
            "Facebook cho phép. Hãy liên hệ công dân qua kênh khác (điện thoại, Zalo, e-mail).",
            code="window_7d",
        )
    if role not in HUMAN_ROLES:
        raise OutsideWindow(
            f"Bot không được gửi qua Facebook: công dân nhắn lần cuối cách đây {hours} giờ, quá 24 giờ. "
            "Chỉ cán bộ mới được trả lời (thẻ HUMAN_AGENT) trong vòng 7 ngày.",
            code="window_24h",
        )
    return HUMAN_AGENT
