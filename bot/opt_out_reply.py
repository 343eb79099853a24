"""A citizen asks to stop (or resume) receiving announcements (issue 17): "hủy đăng ký",
"dừng nhận tin" / "đăng ký nhận tin". The pipeline asks this before the dialogue engine,
as it asks the ticket lookup (:mod:`bot.ticket_lookup`).

The request is recorded on the conversation's channel identity through
:mod:`campaigns.opt_out` (the one writer of ``campaign_opt_outs``) in a transaction of its
own, then the confirmation is an ordinary engine result: the pipeline's commit stores it with
the message marked processed, and the outbox relay sends it. Both recordings are idempotent,
so a commit that fails and is retried records nothing twice and confirms again.

A contact form in progress keeps its own words ("hủy" drops the form): the dialogue engine
reads the message then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.engine import EngineReply, EngineResult
from bot.pending import Pending
from campaigns.opt_out import opt_back_in, opt_out
from campaigns.opt_out_words import OPT_IN, OPT_OUT, subscription_request
from storage.session import SessionMaker

RESUBSCRIBE = "đăng ký nhận tin"
OPTED_OUT_TEXT = (
    "Dạ, đã ghi nhận: anh/chị sẽ không nhận tin thông báo qua kênh này nữa. "
    f'Khi muốn nhận lại, anh/chị nhắn "{RESUBSCRIBE}". '
    "Anh/chị vẫn có thể nhắn hỏi đáp, phản ánh như bình thường ạ."
)
OPTED_IN_TEXT = (
    "Dạ, đã ghi nhận: anh/chị sẽ nhận lại tin thông báo qua kênh này. "
    'Khi không muốn nhận nữa, anh/chị nhắn "hủy đăng ký" ạ.'
)


@dataclass(frozen=True)
class OptOutReply:
    """Records a subscription request and answers it; None for any other message."""

    sm: SessionMaker

    async def answer(self, pending: Pending, now: datetime) -> EngineResult | None:
        kind = subscription_request(pending.msg.text or "")
        if kind is None or pending.dialogue.get("form"):
            return None
        identity_id = pending.conv.identity_id
        async with self.sm() as s, s.begin():
            if kind == OPT_OUT:
                await opt_out(s, identity_id, now)
            else:
                await opt_back_in(s, identity_id)
        reply = OPTED_OUT_TEXT if kind == OPT_OUT else OPTED_IN_TEXT
        return EngineResult([EngineReply(reply)], meta={"act": kind})


__all__ = ["OPTED_IN_TEXT", "OPTED_OUT_TEXT", "OPT_IN", "OPT_OUT", "OptOutReply"]
