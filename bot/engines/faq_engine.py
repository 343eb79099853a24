"""The FAQ engine as a dialogue engine: answers from the agencies' FAQ (naming the
answering agency), offers up to 3 numbered suggestions when unsure, hands off otherwise.

It is the engine when Rasa is not configured, and Rasa's fallback when Rasa is down.
A citizen who answers a suggestion list with "2", "số 2" or "câu thứ hai" gets entry 2.
"""

from __future__ import annotations

import re

from actions.dialogue import Button
from bot.engine import EngineReply, EngineRequest, EngineResult
from bot.faq_store import FaqIndex
from faq.model import FaqDecision
from faq.normalize import fold
from faq.reply import HANDOFF_TEXT, reply_text

NO_FAQ_TEXT = (
    "{hotline} đã nhận được tin nhắn của anh/chị. "
    "Cán bộ tổng đài sẽ trả lời anh/chị trong thời gian sớm nhất. Xin cảm ơn!"
)

_ORDINALS = {"1": 1, "2": 2, "3": 3, "mot": 1, "nhat": 1, "dau": 1, "hai": 2, "ba": 3}
_PICK = re.compile(
    r"^\s*(?:(?:chon|lay|xem|cho (?:toi|em|minh) (?:xem|hoi))\s+)?"
    r"(?:(?:cau|so|muc|y)\s+)?(?:(?:so|thu)\s+)?"
    r"(1|2|3|mot|nhat|dau|hai|ba)\s*(?:a|nhe|nha|ah|ạ)?\s*[.!?]*\s*$"
)


def picked_suggestion(text: str) -> int | None:
    """1-based choice of a numbered suggestion, if the message is just that."""
    m = _PICK.match(fold(text.lower()))
    return _ORDINALS[m.group(1)] if m else None


class FaqDialogueEngine:
    name = "faq"

    def __init__(self, index: FaqIndex, hotline_name: str = "Tổng đài 1022") -> None:
        self.index = index
        self.hotline_name = hotline_name

    def _no_faq(self) -> EngineResult:
        text = NO_FAQ_TEXT.format(hotline=self.hotline_name)
        return EngineResult([EngineReply(text)], handoff=True, handoff_reason="Chưa có bộ câu hỏi thường gặp")

    async def respond(self, req: EngineRequest) -> EngineResult:
        if not self.index.available:
            return self._no_faq()
        suggestions = list(req.last_bot_meta.get("suggestions") or [])
        choice = picked_suggestion(req.text) if suggestions else None
        if choice is not None and choice <= len(suggestions):
            wanted = str(suggestions[choice - 1])
            entry = next((e for e in self.index.holder.engine.entries if e.id == wanted), None)
            if entry is not None:
                decision = FaqDecision("answer", entry, [])
                return EngineResult([EngineReply(reply_text(decision))], meta={"faq_id": entry.id})
        decision = await self.index.holder.decide_async(req.text)
        return self.result(decision)

    def result(self, decision: FaqDecision) -> EngineResult:
        text = reply_text(decision)
        if decision.decision == "answer" and decision.entry is not None:
            return EngineResult([EngineReply(text)], meta={"faq_id": decision.entry.id})
        if decision.decision == "suggest":
            ids = [c.entry.id for c in decision.candidates[:3]]
            buttons = tuple(Button(str(n), str(n)) for n in range(1, len(ids) + 1))
            return EngineResult([EngineReply(text, buttons)], meta={"suggestions": ids})
        return EngineResult(
            [EngineReply(HANDOFF_TEXT)],
            handoff=True,
            handoff_reason="Bộ câu hỏi thường gặp chưa có câu trả lời",
        )

    async def resume(self, sender_id: str) -> None:
        return None
