"""Editing a contact's Điều 7.2 fields (họ tên, số điện thoại, e-mail, địa chỉ) from the
console: validated here, written by ``storage.record.ingest.update_contact``, audited, and
announced on the queue topic so that other consoles refresh."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from aiohttp import web

from actions.fields import normalize_phone
from bot.console.conversation_views import contact_dict
from bot.console.core import STAFF, audit_action, audit_view, hub_of, json_body, require
from bot.events import QUEUE_TOPIC
from handoff.workflow import WorkflowError
from storage.models import Contact
from storage.record.ingest import EDITABLE_CONTACT_FIELDS, update_contact

# (label in the error texts, most characters)
FIELDS = {
    "full_name": ("Họ tên", 200),
    "phone": ("Số điện thoại", 32),
    "email": ("E-mail", 320),
    "address": ("Địa chỉ", 500),
}
_PHONE_CHARS = re.compile(r"\+?[\d\s.\-()]+")
_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;.]+(?:\.[^@\s<>\"',;.]+)+")


class ContactFieldError(ValueError):
    """A contact field a person typed that cannot be stored (the message names the field)."""


def _control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def clean_contact_field(key: str, raw: Any) -> str | None:
    """The value to store for ``key`` (``None``: cleared), or :class:`ContactFieldError`.
    Text is stored as typed (whitespace trimmed): the console shows it as text, never HTML."""
    label, most = FIELDS[key]
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ContactFieldError(f"{label} phải là chuỗi ký tự")
    value = unicodedata.normalize("NFC", raw).strip()
    if not value:
        return None
    if len(value) > most:
        raise ContactFieldError(f"{label} quá dài (tối đa {most} ký tự)")
    if _control(value.replace("\n", " ") if key == "address" else value):
        raise ContactFieldError(f"{label} chứa ký tự điều khiển không hợp lệ")
    if key == "phone":
        phone = normalize_phone(value) if _PHONE_CHARS.fullmatch(value) else None
        if phone is None:
            raise ContactFieldError(
                "Số điện thoại không hợp lệ: cần số Việt Nam, ví dụ 0912 345 678 hoặc 0237 3 123 456"
            )
        return phone
    if key == "email":
        if not _EMAIL.fullmatch(value):
            raise ContactFieldError("E-mail không hợp lệ: cần dạng ten@ten-mien.vn")
        return value
    return value


def contact_changes(body: dict[str, Any]) -> dict[str, str | None]:
    """The fields of ``body`` to write, cleaned; refused when it names none."""
    given = {k: body[k] for k in EDITABLE_CONTACT_FIELDS if k in body}
    if not given:
        raise ContactFieldError("Không có thay đổi nào: gửi full_name, phone, email hoặc address")
    return {k: clean_contact_field(k, v) for k, v in given.items()}


async def edit_contact(request: web.Request) -> web.Response:
    """``POST /console/api/contacts/{id}`` with any of ``full_name``, ``phone``, ``email``,
    ``address`` (staff only; ``null`` or ``""`` clears one)."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    contact_id = int(request.match_info["id"])
    try:
        values = contact_changes(await json_body(request))
    except ContactFieldError as err:
        raise WorkflowError(str(err), 400) from err
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        contact = await s.get(Contact, contact_id, with_for_update=True)
        if contact is None:
            raise WorkflowError("Không tìm thấy liên hệ", 404)
        if contact.merged_into_id is not None:
            raise WorkflowError("Liên hệ đã được gộp vào liên hệ khác: hãy sửa liên hệ còn lại", 409)
        changed = update_contact(contact, values, now)
        if changed:  # the names of the fields only: the audit log keeps no copy of personal data
            audit_action(
                s,
                request,
                user,
                "edit_contact",
                "contact",
                contact_id,
                now,
                detail={"fields": sorted(changed)},
            )
        else:  # nothing changed, but the answer shows the contact: a look at its data
            await audit_view(s, request, user, "view_contact", "contact", contact_id, now)
        body = contact_dict(contact)
    if changed:
        await hub.bus.publish(
            QUEUE_TOPIC,
            {"type": "queue", "reason": "contact", "contact_id": contact_id, "contact": body},
        )
    return web.json_response({"ok": True, "changed": sorted(changed), "contact": body})
