"""Every citizen-facing text of the conversation, in Vietnamese, parametrised by the hotline.

The hotline's name, scope and phone come from :class:`~actions.services.HotlineInfo`
(settings), never from code. Button payloads are plain text a citizen could also type
(the design's contract); a tap arrives as a message whose text is the payload.
"""

from __future__ import annotations

from actions.common import DEFAULT_SCOPE
from actions.dialogue import Button, Reply
from actions.services import FaqAnswer, FaqSuggestion, HotlineInfo

# Button payloads (also what a citizen may type).
ASK_INFO = "Hỏi thông tin"
REPORT = "Phản ánh, kiến nghị"
PERSON = "Gặp cán bộ"
NONE_OF_THESE = "Không phải các câu trên"
YES_NAME = "Đúng"
NO_NAME = "Không phải"
SKIP = "Bỏ qua"
SEND = "Gửi cho cán bộ"
NO_NEED = "Không cần"

PERSON_BUTTON = Button(PERSON, PERSON)
SKIP_BUTTON = Button(SKIP, SKIP)
# Facebook shows at most 20 characters of a quick reply's title.
NONE_BUTTON = Button("Không phải câu nào", NONE_OF_THESE)


GREETING_SCOPE_ITEMS = 6  # a long list of domains is cut: a greeting or a refusal stays short
REFUSAL_SCOPE_ITEMS = 4


def _sentence(text: str) -> str:
    """``text`` closed by a full stop (an ellipsis already closes it)."""
    return text if text.endswith("…") else text + "."


def scope_text(hotline: HotlineInfo, limit: int = GREETING_SCOPE_ITEMS) -> str:
    items = hotline.scope or DEFAULT_SCOPE
    text = "; ".join(items[:limit])
    return text + "; …" if len(items) > limit else text


def _call(hotline: HotlineInfo, vi: bool = True) -> str:
    if not hotline.phone:
        return ""
    return f" hoặc gọi {hotline.phone}" if vi else f" or call {hotline.phone}"


# ---------------------------------------------------------------------------- small talk


def greeting(hotline: HotlineInfo) -> Reply:
    return Reply(
        f"{hotline.name} xin chào anh/chị! Chúng tôi trả lời câu hỏi và tiếp nhận phản ánh, kiến nghị "
        f"của người dân về: {_sentence(scope_text(hotline))} "
        "Anh/chị cứ nhắn câu hỏi hoặc nội dung cần phản ánh. "
        f'Để gặp cán bộ, anh/chị nhắn "{PERSON}"{_call(hotline)}.',
        (PERSON_BUTTON,),
    )


def greet_again(hotline: HotlineInfo) -> Reply:
    return Reply(
        f"Dạ, {hotline.name} xin chào anh/chị. Anh/chị cần hỏi thông tin hay phản ánh, kiến nghị điều gì ạ?"
    )


def thank(hotline: HotlineInfo) -> Reply:
    return Reply(f"Dạ, không có gì ạ. Anh/chị cần hỏi thêm, xin cứ nhắn cho {hotline.name}.")


def goodbye(hotline: HotlineInfo) -> Reply:
    return Reply(f"Dạ, chào anh/chị. Khi cần, anh/chị cứ nhắn cho {hotline.name} bất cứ lúc nào.")


def ack(hotline: HotlineInfo) -> Reply:
    return Reply(f"Dạ vâng. Anh/chị cần hỗ trợ thêm, xin cứ nhắn cho {hotline.name} ạ.")


def ask_details(hotline: HotlineInfo) -> Reply:
    return Reply("Dạ, mời anh/chị nhắn cụ thể câu hỏi hoặc nội dung cần phản ánh ạ.")


# ---------------------------------------------------------------------------- ways forward


def refusal(hotline: HotlineInfo) -> Reply:
    """Điều 9.2: the reason (two sentences) and a way forward."""
    return Reply(
        f"Xin lỗi anh/chị, nội dung này nằm ngoài phạm vi tiếp nhận của {hotline.name}. "
        f"Theo quy chế hoạt động, {hotline.name} chỉ trả lời và tiếp nhận phản ánh về: "
        f"{_sentence(scope_text(hotline, REFUSAL_SCOPE_ITEMS))} "
        f"Anh/chị có câu hỏi trong các lĩnh vực này, xin cứ nhắn; "
        f'cần trao đổi với cán bộ, xin nhắn "{PERSON}".',
        (Button(ASK_INFO, ASK_INFO), PERSON_BUTTON),
    )


def foreign(hotline: HotlineInfo) -> Reply:
    """Điều 7.1: the hotline works in Vietnamese; say so in Vietnamese and English."""
    return Reply(
        f"Xin lỗi, {hotline.name} chỉ tiếp nhận và trả lời bằng tiếng Việt. "
        f"Anh/chị vui lòng nhắn bằng tiếng Việt{_call(hotline)}.\n"
        f"Sorry, {hotline.name} answers in Vietnamese only. Please write to us in Vietnamese "
        f"(a Vietnamese-speaking friend can help){_call(hotline, vi=False)}.",
        (PERSON_BUTTON,),
    )


def clarify(hotline: HotlineInfo) -> Reply:
    return Reply(
        "Anh/chị muốn hỏi thông tin hay phản ánh, kiến nghị ạ?",
        (Button(ASK_INFO, ASK_INFO), Button(REPORT, REPORT), PERSON_BUTTON),
    )


def offer_ticket(hotline: HotlineInfo) -> Reply:
    return Reply(
        f"Câu hỏi của anh/chị hiện chưa có câu trả lời sẵn. {hotline.name} có thể chuyển câu hỏi tới "
        "cán bộ để trả lời anh/chị. Anh/chị có muốn gửi không ạ?",
        (Button(SEND, SEND), Button(NO_NEED, NO_NEED)),
    )


# ---------------------------------------------------------------------------- FAQ


def answer_text(answer: FaqAnswer) -> str:
    text = answer.answer.strip()
    if answer.agency:
        text += f"\n(Nội dung trả lời của {answer.agency}.)"
    return text


def answer(a: FaqAnswer) -> Reply:
    return Reply(answer_text(a))


def gone(hotline: HotlineInfo) -> Reply:
    return Reply("Xin lỗi, câu hỏi này vừa được cập nhật. Anh/chị vui lòng nhắn lại câu hỏi ạ.")


def found_questions(hotline_name: str, items: tuple[FaqSuggestion, ...]) -> list[str]:
    """The lines that offer FAQ questions near the citizen's: a heading, then numbered."""
    lines = [f"{hotline_name} tìm thấy các câu hỏi gần với câu hỏi của anh/chị:"]
    lines += [f"{i}. {s.question}" for i, s in enumerate(items, 1)]
    return lines


def suggestions(hotline: HotlineInfo, items: tuple[FaqSuggestion, ...]) -> Reply:
    lines = found_questions(hotline.name, items)
    lines.append(f'Anh/chị chọn số thứ tự câu muốn xem, hoặc chọn "{NONE_OF_THESE}".')
    buttons = tuple(Button(str(i), str(i)) for i in range(1, len(items) + 1))
    return Reply("\n".join(lines), (*buttons, NONE_BUTTON))


def choose_number(count: int) -> Reply:
    return Reply(f"Anh/chị vui lòng nhắn một số từ 1 đến {count} để chọn câu hỏi ạ.")


# ---------------------------------------------------------------------------- the contact form

FORM_INTRO = {
    "request_human": "Dạ, {name} sẽ chuyển yêu cầu của anh/chị tới cán bộ.",
    "report_incident": "{name} ghi nhận phản ánh của anh/chị và sẽ chuyển tới cơ quan có thẩm quyền xử lý.",
    "unanswered_question": "Dạ, {name} sẽ chuyển câu hỏi của anh/chị tới cán bộ để trả lời.",
}
# Điều 7.2: the sender gives full name, contact address, phone and e-mail (if any). Each prompt
# says why the field is asked and how to skip it.
FIELD_PROMPTS = {
    "full_name": "Xin anh/chị cho biết họ và tên, để cán bộ ghi vào phiếu tiếp nhận và xưng hô khi trả lời.",
    "phone": "Xin anh/chị cho biết số điện thoại, để cán bộ gọi lại khi cần làm rõ nội dung.",
    "address": (
        "Xin anh/chị cho biết địa chỉ liên hệ (thôn/xóm, xã/phường, huyện), "
        "để yêu cầu được chuyển đúng cơ quan địa phương."
    ),
    "email": "Nếu có e-mail, xin anh/chị cho biết, để nhận văn bản trả lời.",
}
SKIP_HINT = f' Nếu không muốn cung cấp, anh/chị nhắn "{SKIP}".'
INVALID = {
    "full_name": 'Chưa đọc được họ tên (ví dụ "Nguyễn Văn An").',
    "phone": (
        "Số điện thoại chưa đúng: cần 10 chữ số bắt đầu bằng 0 (ví dụ 0912345678) hoặc dạng +84912345678."
    ),
    "address": "Địa chỉ chưa rõ.",
    "email": "Địa chỉ e-mail chưa đúng (ví dụ ten@gmail.com).",
}


def form_intro(reason: str, hotline: HotlineInfo) -> str:
    return FORM_INTRO.get(reason, FORM_INTRO["request_human"]).format(name=hotline.name)


def ask_matter(hotline: HotlineInfo) -> str:
    return (
        "Xin anh/chị cho biết ngắn gọn nội dung cần cán bộ hỗ trợ (việc gì, ở đâu, từ khi nào), "
        "để cán bộ nắm được trước khi trả lời."
    )


def field_prompt(step: str, name_candidate: str | None = None) -> Reply:
    """The question of a form step, with its buttons."""
    if step == "confirm_name":
        return Reply(
            f"Anh/chị tên là {name_candidate} phải không ạ?",
            (Button(YES_NAME, YES_NAME), Button(NO_NAME, NO_NAME)),
        )
    return Reply(FIELD_PROMPTS[step] + SKIP_HINT, (SKIP_BUTTON,))


def invalid(step: str) -> str:
    return INVALID.get(step, "")


def noted(hotline: HotlineInfo) -> str:
    return f"Dạ, {hotline.name} đã ghi thêm nội dung này vào yêu cầu."


def question_noted(hotline: HotlineInfo) -> str:
    return f"Câu hỏi này chưa có câu trả lời sẵn; {hotline.name} đã ghi vào yêu cầu để cán bộ trả lời."


def ticket_created(hotline: HotlineInfo) -> Reply:
    """Filled by the hub when the ticket is created: ``{ticket_code}``, ``{due_text}``."""
    return Reply(
        f"{hotline.name} đã tiếp nhận yêu cầu của anh/chị, mã phiếu: {{ticket_code}}. "
        "Cán bộ sẽ trả lời anh/chị {due_text}. "
        "Anh/chị có thể nhắn thêm thông tin tại đây, cán bộ sẽ đọc được."
    )


def note_added(hotline: HotlineInfo, ticket_code: str) -> Reply:
    return Reply(f"Dạ, {hotline.name} đã ghi thêm nội dung này vào phiếu {ticket_code}. Cán bộ sẽ đọc được.")


def form_cancelled(hotline: HotlineInfo) -> Reply:
    return Reply(
        f"Dạ, {hotline.name} đã hủy yêu cầu, không chuyển tới cán bộ. Khi cần hỗ trợ, anh/chị cứ nhắn lại ạ."
    )
