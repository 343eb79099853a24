"""Vietnamese reply text for a decision: the answer with its agency, numbered choices, or handoff."""

from __future__ import annotations

from faq.model import FaqDecision

HANDOFF_TEXT = (
    "Câu hỏi của anh/chị chưa có trong bộ câu hỏi thường gặp. "
    "Tổng đài viên sẽ tiếp nhận và trả lời anh/chị sớm nhất."
)


def reply_text(decision: FaqDecision, max_suggestions: int = 3) -> str:
    if decision.decision == "answer" and decision.entry is not None:
        entry = decision.entry
        source = f"\n(Nguồn: {entry.agency})" if entry.agency else ""
        return f"{entry.answer}{source}"
    if decision.decision == "suggest" and decision.candidates:
        lines = ["Có phải anh/chị muốn hỏi một trong các câu sau? Vui lòng trả lời bằng số thứ tự:"]
        for n, cand in enumerate(decision.candidates[:max_suggestions], start=1):
            lines.append(f"{n}. {cand.entry.question}")
        lines.append("Nếu không phải, anh/chị cứ nhắn tiếp, tổng đài viên sẽ hỗ trợ.")
        return "\n".join(lines)
    return HANDOFF_TEXT
