"""An answered ticket made through the console's API, as the people involved make it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.console.conftest import agency_id_of, new_ticket

QUESTION = (
    "Tôi là Nguyễn Văn An, CCCD 038090012345, nhà ở số 12 ngõ 5 đường Lê Lợi, phường Điện Biên. "
    "Xin hỏi con tôi học lớp 10 có được hỗ trợ học phí không? Số điện thoại 0912 345 678."
)
ANSWER = "Chào anh Nguyễn Văn An, học sinh lớp 10 được hỗ trợ 50% học phí theo Nghị quyết của tỉnh."


@dataclass
class Answered:
    id: int
    code: str
    op: Any
    officer: Any


async def open_ticket(people: Any, op: Any, content: str, **contact: str) -> tuple[int, str]:
    """A citizen's web chat in the queue, and a ticket the operator opens on it."""
    return await new_ticket(people, op, content, **contact)


async def answered_ticket(
    people: Any,
    app: Any,
    content: str = QUESTION,
    answer: str = ANSWER,
    *,
    full_name: str = "Nguyễn Văn An",
    phone: str = "0912 345 678",
    email: str = "an.nguyen@gmail.com",
) -> Answered:
    """Opened by op1 with the citizen's details, forwarded to Sở Y tế, answered by yte1."""
    op = await people("op1")
    tid, code = await open_ticket(people, op, content, full_name=full_name, phone=phone, email=email)
    status, body = await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": await agency_id_of(app, "so-yte")}
    )
    assert status == 200, body
    officer = await people("yte1")
    status, body = await officer.post(f"/console/api/tickets/{tid}/answer", {"text": answer})
    assert status == 200, body
    return Answered(tid, code, op, officer)
