"""RFC 3834: recognise automatic mail, and limit our own automatic replies.

* :func:`auto_generated_reason` tells why a message must never be answered automatically
  (``None`` when it may be). The parser sets ``InboundMessage.auto_generated`` from it: the
  hub stores such a message but never answers it (no bot reply, no acknowledgement).
* :func:`may_auto_reply` is the hub's daily limiter, a pure function: at most one automatic
  reply per sender per conversation per day. The hub keeps the time of the last automatic
  reply under :func:`limiter_key` (in its database or ``StateStore``) and writes it only
  after the reply was actually sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from email.message import Message
from email.utils import parseaddr

from connectors.email.headers import header_text

AUTO_REPLY_WINDOW = timedelta(days=1)

_AUTOMATIC_PRECEDENCE = {"bulk", "list", "junk", "auto_reply"}
_ROBOT_LOCAL_PARTS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}
# other vendors' markers of out-of-office replies and auto-responders
_VENDOR_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond")


def auto_generated_reason(msg: Message, own_addresses: Iterable[str] = ()) -> str | None:
    """Why ``msg`` is automatic mail (``"auto-submitted"``, ``"precedence"``, ``"list"``,
    ``"empty-return-path"``, ``"mailer-daemon"``, ``"own-address"``, ``"bounce"``,
    ``"vendor-auto-reply"``, ``"robot-sender"`` for no-reply addresses), or ``None`` for a person's mail."""
    auto_submitted = header_text(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return "auto-submitted"
    if header_text(msg, "Precedence").lower() in _AUTOMATIC_PRECEDENCE:
        return "precedence"
    if any(key.lower().startswith("list-") for key in msg.keys()):
        return "list"
    return_path = header_text(msg, "Return-Path")
    if "Return-Path" in msg and parseaddr(return_path)[1] == "" and "<>" in return_path.replace(" ", ""):
        return "empty-return-path"
    sender = parseaddr(header_text(msg, "From"))[1].lower()
    local = sender.split("@", 1)[0]
    if local in {"mailer-daemon", "postmaster"}:
        return "mailer-daemon"
    own = {address.strip().lower() for address in own_addresses if address}
    if sender and sender in own:
        return "own-address"
    if msg.get_content_type() == "multipart/report":
        return "bounce"
    if any(name in msg for name in _VENDOR_AUTO_HEADERS):
        return "vendor-auto-reply"
    if is_robot_address(sender) and not _person_in_reply_to(msg):
        return "robot-sender"
    return None


def is_robot_address(address: str) -> bool:
    """``noreply@…``, ``mailer-daemon@…`` and the like: nobody reads what is sent there."""
    return address.split("@", 1)[0].lower() in _ROBOT_LOCAL_PARTS


def _person_in_reply_to(msg: Message) -> bool:
    """A web form mailing from ``noreply@`` on behalf of a citizen names them in Reply-To."""
    address = parseaddr(header_text(msg, "Reply-To"))[1]
    return "@" in address and not is_robot_address(address)


def may_auto_reply(
    sender: str,
    conversation_id: int | str,
    last_auto_reply_at: datetime | None,
    now: datetime,
    *,
    window: timedelta = AUTO_REPLY_WINDOW,
) -> bool:
    """May the bot answer ``sender`` automatically in ``conversation_id`` at ``now``?

    ``last_auto_reply_at`` is the time of the last automatic reply to this sender in this
    conversation (``None``: never). At most one per ``window`` (a rolling day)."""
    del sender, conversation_id  # the hub looks the timestamp up by limiter_key(sender, conversation)
    if last_auto_reply_at is None:
        return True
    return now - last_auto_reply_at >= window


def limiter_key(sender: str, conversation_id: int | str) -> str:
    """Where the hub keeps the last automatic reply time for (sender, conversation)."""
    return f"email:auto-reply:{conversation_id}:{sender.strip().lower()}"
