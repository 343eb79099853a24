"""Conversations against a REAL trained model in a ``rasa run`` process.

The custom actions run in this test process (``actions.server``) with in-memory hub
services, exactly as the hub serves them; the engine talks to Rasa over loopback HTTP.
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid

import pytest

from bot.engine import EngineRequest, EngineResult
from bot.engines.rasa_engine import RasaEngine
from tests.rasa.harness import RasaStack

pytestmark = [pytest.mark.rasa, pytest.mark.slow]

TICKET_CODE = re.compile(r"\b1022-\d{4}-\d{6}\b")


class Chat:
    def __init__(self, stack: RasaStack, profile: dict[str, str] | None = None) -> None:
        self.engine = RasaEngine(stack.rasa_url, timeout=20)
        self.sender = f"test-{uuid.uuid4().hex[:10]}"
        self.profile = profile or {}
        self.count = 0

    async def say(self, text: str) -> EngineResult:
        self.count += 1
        req = EngineRequest(1, self.sender, "webchat", text, self.count, self.profile)
        return await self.engine.respond(req)

    async def close(self) -> None:
        await self.engine.close()


def texts(result: EngineResult) -> str:
    return "\n".join(r.text for r in result.replies)


def parse(stack: RasaStack, text: str) -> dict[str, object]:
    req = urllib.request.Request(
        f"{stack.rasa_url}/model/parse",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=20) as resp:
        body: dict[str, object] = json.load(resp)
    return body


@pytest.mark.parametrize(
    ("accented", "folded", "intent"),
    [
        ("cho tôi gặp cán bộ", "cho toi gap can bo", "request_human"),
        ("tôi muốn gặp người thật", "toi muon gap nguoi that", "request_human"),
        ("cảm ơn tổng đài nhiều", "cam on tong dai nhieu", "thank"),
        ("có người trốn cách ly ở xóm tôi", "co nguoi tron cach ly o xom toi", "report_incident"),
        ("thủ tục đăng ký khai sinh thế nào", "thu tuc dang ky khai sinh the nao", "ask_question"),
    ],
)
def test_diacritics_do_not_change_the_intent(
    stack_parse: RasaStack, accented: str, folded: str, intent: str
) -> None:
    with_marks = parse(stack_parse, accented)
    without = parse(stack_parse, folded)
    assert with_marks["intent"]["name"] == intent  # type: ignore[index]
    assert without["intent"]["name"] == intent  # type: ignore[index]


@pytest.fixture
def stack_parse(rasa_stack: RasaStack) -> RasaStack:
    return rasa_stack


async def test_greeting_then_faq_answer_names_the_agency(rasa_stack: RasaStack) -> None:
    chat = Chat(rasa_stack)
    try:
        greeting = await chat.say("xin chào")
        assert "Tổng đài 1022 xin kính chào" in texts(greeting)
        answer = await chat.say("làm căn cước công dân ở đâu")
        assert "Công an cấp huyện" in texts(answer)
        assert "Công an tỉnh" in texts(answer)  # the answering agency is named
        assert not answer.handoff
    finally:
        await chat.close()


async def test_request_human_walks_the_form_and_yields_a_ticket(rasa_stack: RasaStack) -> None:
    chat = Chat(rasa_stack)
    services = rasa_stack.services
    try:
        first = await chat.say("cho em gặp cán bộ")
        assert "họ và tên" in texts(first)
        assert "số điện thoại" in texts(await chat.say("Nguyễn Văn An"))
        wrong = await chat.say("0912 345 67")
        assert "chưa đúng" in texts(wrong)
        assert "địa chỉ" in texts(await chat.say("+84 912 345 678"))
        assert "e-mail" in texts(await chat.say("thôn Đông, xã Quảng Tân"))
        done = await chat.say("không có")
        code = TICKET_CODE.search(texts(done))
        assert code, texts(done)
        assert done.handoff and done.meta["ticket_code"] == code.group(0)
        assert "8 giờ làm việc" in texts(done)
        ticket = next(t for t in services.tickets if t["code"] == code.group(0))
        assert ticket["full_name"] == "Nguyễn Văn An"
        assert ticket["phone"] == "0912345678"
        assert ticket["address"] == "thôn Đông, xã Quảng Tân"
        assert ticket["email"] is None
        assert (chat.sender, ticket["reason"]) in services.handoffs

        # waiting for a human: the bot stays silent
        silent = await chat.say("alo, còn ai ở đó không")
        assert silent.replies == [] and not silent.handoff

        # operator hands back: the bot answers again
        await chat.engine.resume(chat.sender)
        back = await chat.say("xin chào")
        assert "xin kính chào" in texts(back)
    finally:
        await chat.close()


async def test_known_profile_fields_are_not_asked_again(rasa_stack: RasaStack) -> None:
    chat = Chat(rasa_stack, profile={"full_name": "Lê Thị Hoa", "phone": "0987654321"})
    try:
        first = await chat.say("tôi muốn phản ánh có người đổ rác ra sông")
        assert "họ và tên" not in texts(first) and "số điện thoại liên hệ" not in texts(first)
        assert "địa chỉ" in texts(first)
        await chat.say("xóm 3, xã Hoằng Phụ")
        done = await chat.say("hoa.le@gmail.com")
        assert TICKET_CODE.search(texts(done)), texts(done)
        ticket = rasa_stack.services.tickets[-1]
        assert ticket["full_name"] == "Lê Thị Hoa" and ticket["phone"] == "0987654321"
        assert ticket["email"] == "hoa.le@gmail.com"
        assert "đổ rác" in ticket["summary"]
    finally:
        await chat.close()


async def test_citizen_may_decline_everything_and_still_gets_a_ticket(rasa_stack: RasaStack) -> None:
    chat = Chat(rasa_stack)
    try:
        await chat.say("gặp người thật")
        done = await chat.say("tôi không muốn cung cấp thông tin")
        assert TICKET_CODE.search(texts(done)), texts(done)
        ticket = rasa_stack.services.tickets[-1]
        assert ticket["full_name"] is None and ticket["phone"] is None and ticket["address"] is None
    finally:
        await chat.close()


async def test_suggestions_then_choice(rasa_stack: RasaStack) -> None:
    chat = Chat(rasa_stack)
    try:
        offered = await chat.say("cho hỏi về tiêm vắc xin")
        body = texts(offered)
        assert "1. " in body and "2. " in body, body
        assert [b.payload for b in offered.replies[0].buttons[:2]] == ["số 1", "số 2"]
        picked = await chat.say("câu thứ hai")
        assert "(Nội dung trả lời của Sở Y tế.)" in texts(picked)
    finally:
        await chat.close()


async def test_out_of_scope_is_refused_with_reason_and_scope(rasa_stack: RasaStack) -> None:
    chat = Chat(rasa_stack)
    try:
        refused = await chat.say("kết quả xổ số hôm nay")
        body = texts(refused)
        assert "ngoài phạm vi" in body
        assert "giao thông vận tải" in body  # what the hotline does handle, from the hub's settings
    finally:
        await chat.close()


async def test_unanswerable_question_goes_to_the_contact_form(rasa_stack: RasaStack) -> None:
    chat = Chat(
        rasa_stack, profile={"full_name": "Trần Minh Đức", "phone": "0905123456", "address": "phường Ba Đình"}
    )
    try:
        result = await chat.say("thủ tục xin giấy phép khai thác cát sông thế nào")
        body = texts(result)
        assert "chưa có câu trả lời sẵn" in body
        assert "e-mail" in body  # only the missing field is asked
        done = await chat.say("không có")
        assert TICKET_CODE.search(texts(done))
        assert rasa_stack.services.tickets[-1]["reason"].startswith("Câu hỏi chưa có")
    finally:
        await chat.close()
