"""A ticket code written in a chat gets the ticket's status from the bot (issue 15, item 2):
at once in the conversation the ticket came from; elsewhere only with the last 4 digits of
the phone given, wrong guesses limited as on the public lookup page."""

from __future__ import annotations

from typing import Any

from tests.console.test_faq_learning import Citizen

ASK_PERSON = "Cho tôi gặp cán bộ"


async def _ticket_of(people: Any, citizen: Citizen, phone: str) -> str:
    op = await people("op1")
    await citizen.say(ASK_PERSON)
    status, body = await op.post(
        f"/console/api/conversations/{citizen.conversation_id}/tickets",
        {"content": "Đường thôn 3 bị ngập", "full_name": "Lê Văn Tám", "phone": phone},
    )
    assert status == 200, body
    return str(body["ticket"]["code"])


async def test_the_citizen_asks_in_the_conversation_the_ticket_came_from(
    people: Any, console_client: Any
) -> None:
    citizen = await Citizen(console_client).start()
    code = await _ticket_of(people, citizen, "0912345678")
    reply = await citizen.say(f"cho hỏi phiếu {code.lower()} giải quyết đến đâu rồi")
    assert reply["text"].startswith(f"Phiếu {code} (tiếp nhận ")
    assert "mới tiếp nhận" in reply["text"]
    assert "0912345678" not in reply["text"]


async def test_elsewhere_the_phone_digits_are_needed_and_wrong_guesses_are_limited(
    people: Any, console_client: Any
) -> None:
    owner = await Citizen(console_client).start()
    code = await _ticket_of(people, owner, "0912345678")
    other = await Citizen(console_client).start()
    asked = await other.say(f"Tình hình phiếu {code} thế nào?")
    assert "4 số cuối" in asked["text"] and "/tra-cuu/" in asked["text"]
    assert "mới tiếp nhận" not in asked["text"]
    wrong = await other.say(f"{code} 1111")
    assert "mới tiếp nhận" not in wrong["text"]
    right = await other.say(f"{code} 5678")
    assert right["text"].startswith(f"Phiếu {code}") and "mới tiếp nhận" in right["text"]
    for _ in range(4):  # five wrong guesses on the code in the window (the default limit)
        await other.say(f"{code} 0000")
    limited = await other.say(f"{code} 5678")  # now even the right digits wait
    assert "thử lại sau" in limited["text"] and "mới tiếp nhận" not in limited["text"]


async def test_a_code_of_another_hotline_is_left_to_the_bot(people: Any, console_client: Any) -> None:
    citizen = await Citizen(console_client).start()
    reply = await citizen.say("Phiếu 1039-2027-000001 của tôi sao rồi?")
    assert not reply["text"].startswith("Phiếu 1039")
    assert "4 số cuối" not in reply["text"]
