"""E-mail keeps numbered text: a suggestion the text does not list is named in one closing
line, so no choice is lost; a text that lists them all is sent as it is (real SMTP server)."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest

from connectors.base import OutboundMessage, QuickReply
from connectors.email.choices import choices_line
from devtools.smtp import SmtpServer

from .conftest import email_settings

NUMBERED = (
    "Có phải anh/chị muốn hỏi:\n"
    "1. Đăng ký khai sinh cho con ở đâu?\n"
    "2) Lệ phí cấp căn cước là bao nhiêu?\n"
    "3. Thủ tục đăng ký tạm trú?"
)
ONE_TWO_THREE = tuple(QuickReply(f"{n}.", str(n)) for n in (1, 2, 3))
NOT_THESE = QuickReply("Không phải các câu trên", "Không phải các câu trên")


def test_a_text_that_lists_every_choice_is_left_alone() -> None:
    assert choices_line(NUMBERED, ONE_TWO_THREE) is None
    assert (
        choices_line(NUMBERED + "\nHoặc trả lời: không phải các câu trên.", (*ONE_TWO_THREE, NOT_THESE))
        is None
    )
    assert choices_line("Không có gợi ý nào.", ()) is None


def test_an_unlisted_choice_names_them_all() -> None:
    assert choices_line(NUMBERED, (*ONE_TWO_THREE, NOT_THESE)) == (
        "Trả lời thư này bằng: 1, 2, 3 hoặc “Không phải các câu trên”."
    )
    # "4" appears in the text, but no line starts with it: it is not listed
    line = choices_line(
        "Tổng đài 1022 có 4 gợi ý:\n1. A\n2. B\n3. C", tuple(QuickReply(s, s) for s in "1234")
    )
    assert line == "Trả lời thư này bằng: 1, 2, 3 hoặc 4."
    assert choices_line("Anh/chị cần gì?", (QuickReply("Gặp cán bộ", "Gặp cán bộ"),)) == (
        "Trả lời thư này bằng: “Gặp cán bộ”."
    )


@pytest.fixture
async def plain_smtp() -> Any:
    async with SmtpServer() as server:
        yield server


def sent_text(server: SmtpServer) -> str:
    mail = message_from_bytes(server.received[-1].content, policy=default)
    assert isinstance(mail, EmailMessage)
    return str(mail.get_content()).replace("\r\n", "\n").strip()


async def test_the_mail_carries_the_numbered_text_and_the_missing_choice(
    make_connector: Any, plain_smtp: SmtpServer
) -> None:
    connector = make_connector(email_settings(1, plain_smtp.port))
    assert not connector.capabilities.tap_able  # no buttons in a mail

    def reply(message_id: int, quick: tuple[QuickReply, ...]) -> OutboundMessage:
        return OutboundMessage(
            channel="email",
            external_user_id="nguyen.van.a@example.vn",
            text=NUMBERED,
            message_id=message_id,
            conversation_id=message_id,
            subject="Hỏi về hộ tịch",
            quick_replies=quick,
        )

    await connector.send(reply(1, (*ONE_TWO_THREE, NOT_THESE)))
    assert sent_text(plain_smtp) == (
        NUMBERED + "\n\nTrả lời thư này bằng: 1, 2, 3 hoặc “Không phải các câu trên”."
    )
    await connector.send(reply(2, ONE_TWO_THREE))
    assert sent_text(plain_smtp) == NUMBERED
