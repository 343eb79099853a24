"""Staff edit a contact's Điều 7.2 fields (POST /console/api/contacts/{id}): a Vietnamese
phone number is stored normalised, a wrong one or a wrong e-mail is refused naming the
field, markup is kept as text, the edit is audited and announced to the other consoles."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.events import QUEUE_TOPIC
from bot.hub import HUB
from storage.models import Contact, Conversation
from storage.models_console import AuditLog
from tests.console.dbutil import make_conversation


async def _contact_id(app: Any) -> int:
    hub = app[HUB]
    conv_id = await make_conversation(hub.sm, hub.clock.now(), name="Khách Zalo")
    async with hub.sm() as s:
        conv = await s.get(Conversation, conv_id)
        assert conv is not None
        return conv.contact_id


async def test_an_operator_edits_the_contact_and_other_consoles_hear_of_it(
    people: Any, console_app: Any
) -> None:
    hub = console_app[HUB]
    contact_id = await _contact_id(console_app)
    op = await people("op1")
    sub = await hub.bus.subscribe(QUEUE_TOPIC)
    try:
        status, body = await op.post(
            f"/console/api/contacts/{contact_id}",
            {
                "full_name": "  Nguyễn Văn An ",
                "phone": "+84 912 345 678",
                "email": "an.nguyen@example.vn",
                "address": "12 Lê Lợi, phường 1",
            },
        )
        assert status == 200, body
        assert body["contact"] == {
            "id": contact_id,
            "display_name": "Khách Zalo",
            "full_name": "Nguyễn Văn An",
            "phone": "0912345678",
            "email": "an.nguyen@example.vn",
            "address": "12 Lê Lợi, phường 1",
            "merged_into_id": None,
        }
        assert body["changed"] == ["address", "email", "full_name", "phone"]
        event = await asyncio.wait_for(anext(aiter(sub)), 5)
    finally:
        await sub.close()
    assert event["type"] == "queue" and event["contact_id"] == contact_id
    assert event["contact"]["phone"] == "0912345678"
    async with hub.sm() as s:
        (audit,) = (await s.execute(select(AuditLog).where(AuditLog.action == "edit_contact"))).scalars()
        assert audit.detail == {"fields": ["address", "email", "full_name", "phone"]}
        assert "0912345678" not in str(audit.detail)  # no copy of personal data in the log

    # a landline; clearing the e-mail with an empty string
    status, body = await op.post(
        f"/console/api/contacts/{contact_id}", {"phone": "0237.3123456", "email": ""}
    )
    assert status == 200 and body["contact"]["phone"] == "02373123456" and body["contact"]["email"] is None
    _, queue = await op.get("/console/api/queue")
    (item,) = [c for c in queue["waiting"] if c["contact_id"] == contact_id]
    assert item["contact_name"] == "Nguyễn Văn An"


async def test_wrong_values_are_refused_naming_the_field(people: Any, console_app: Any) -> None:
    contact_id = await _contact_id(console_app)
    sv = await people("sv1")
    cases = {
        "phone": ("12345", "Số điện thoại"),
        "email": ("an@", "E-mail"),
        "full_name": ("A" * 201, "Họ tên"),
        "address": (42, "Địa chỉ"),
    }
    for field, (value, label) in cases.items():
        status, body = await sv.post(f"/console/api/contacts/{contact_id}", {field: value})
        assert status == 400 and body["error"].startswith(label), (field, body)
    status, body = await sv.post(f"/console/api/contacts/{contact_id}", {"phone": "gọi 0912345678 nhé"})
    assert status == 400 and "Số điện thoại" in body["error"]
    assert (await sv.post(f"/console/api/contacts/{contact_id}", {"organisation": "x"}))[0] == 400
    assert (await sv.post("/console/api/contacts/999999", {"full_name": "X"}))[0] == 404
    async with console_app[HUB].sm() as s:
        contact = await s.get(Contact, contact_id)
        assert contact is not None and contact.phone is None and contact.email is None


async def test_agency_officers_and_requests_without_csrf_are_refused(people: Any, console_app: Any) -> None:
    contact_id = await _contact_id(console_app)
    yte = await people("yte1")
    assert (await yte.post(f"/console/api/contacts/{contact_id}", {"full_name": "X"}))[0] == 403
    op = await people("op1")
    assert (await op.post(f"/console/api/contacts/{contact_id}", {"full_name": "X"}, csrf=""))[0] == 403
    anonymous = await people()
    assert (await anonymous.post(f"/console/api/contacts/{contact_id}", {"full_name": "X"}))[0] == 403
    async with console_app[HUB].sm() as s:
        contact = await s.get(Contact, contact_id)
        assert contact is not None and contact.full_name is None


async def test_markup_is_stored_verbatim_as_text(people: Any, console_app: Any) -> None:
    contact_id = await _contact_id(console_app)
    op = await people("op1")
    name = "<script>alert('x')</script>"
    address = '"><img src=x onerror=alert(1)>\nTổ 3'
    status, body = await op.post(
        f"/console/api/contacts/{contact_id}", {"full_name": name, "address": address}
    )
    assert status == 200
    assert body["contact"]["full_name"] == name and body["contact"]["address"] == address
    status, body = await op.post(f"/console/api/contacts/{contact_id}", {"email": "<b>@x.vn"})
    assert status == 400 and body["error"].startswith("E-mail")


async def test_a_merged_contact_is_edited_through_the_one_it_was_merged_into(
    people: Any, console_app: Any
) -> None:
    source, target = await _contact_id(console_app), await _contact_id(console_app)
    op = await people("op1")
    status, _ = await op.post("/console/api/contacts/merge", {"source_id": source, "target_id": target})
    assert status == 200
    status, body = await op.post(f"/console/api/contacts/{source}", {"full_name": "X"})
    assert status == 409 and "gộp" in body["error"]
