"""The console's data requests (issue 18): supervisor and admin (no new role: the issue
allows the supervisor, and the admin oversees everything).

| route | what |
|---|---|
| ``GET /console/api/data-requests[?open=1]`` | every request, by deadline, with lateness |
| ``GET /console/api/data-requests/{id}`` | one request |
| ``POST …/{id}/acknowledge`` | acknowledged (when not yet) |
| ``POST …/{id}/extend`` ``{"reason"}`` | the one extension, of the kind's own length |
| ``POST …/{id}/answer`` ``{"text", "changes"?}`` | the answer per kind (below) |
| ``POST …/{id}/refuse`` ``{"basis", "text"?}`` | a refusal with its legal basis |
| ``POST /console/api/data-requests/restrictions/{contact_id}/lift`` | the citizen lifted it |

Answers: view/copy — the contact's export (``privacy.export``) is made, audited as
``contact_export`` and returned with the answer (JSON; the console downloads the .xlsx/.pdf
from ``/console/api/contacts/{id}/export.*``); the citizen gets the text, a summary of what
is held and a link to download the copy (:mod:`privacy.copy_links`,
``bot/public/data_copy.py``); the stored answer holds no link. correct — ``changes``
applied through the contact edit's cleaning and writer, audited ``edit_contact`` with the
request's id. delete — refused with the legal bases when
:func:`privacy.anonymise.kept_records` names records to keep (restriction offered), else the
contact is anonymised. restrict/object — the flag of :mod:`privacy.restriction`.
withdraw_consent — answered by text (the hotline's processing is a statutory duty). Every
answer goes to the citizen on the request's channel (:mod:`privacy.request_delivery`).
Audit actions: ``data_request_view``, ``data_request_acknowledge``, ``data_request_extend``,
``data_request_answer`` (detail ``restriction`` for restrict/object, ``fields`` for a
correction), ``data_request_refuse``, ``data_request_anonymise``, ``restriction_lift``, and
``contact_export`` for a view/copy answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.contacts_api import ContactFieldError, contact_changes
from bot.console.core import OVERSIGHT, audit_action, hub_of, json_body, publish_messages, require, str_field
from handoff.workflow import WorkflowError
from privacy import copy_links, requests, restriction
from privacy.anonymise import RetentionPolicy, anonymise_contact, kept_records
from privacy.export import contact_export
from privacy.request_delivery import deliver
from storage.models import Contact, Message, OutboxItem
from storage.models_console import User
from storage.models_privacy import DataRequest
from storage.record.ingest import update_contact

if TYPE_CHECKING:
    from bot.hub import Hub

ID = r"{id:\d{1,18}}"
BASE = "/api/data-requests"
RESTRICTION_OFFER = (
    "Anh/chị có thể yêu cầu hạn chế xử lý dữ liệu: tổng đài sẽ không xử lý tự động và không gửi "
    "tin thông báo cho anh/chị nữa."
)


def email_channel(hub: Hub) -> str | None:
    """The enabled channel whose senders are e-mail addresses (capabilities, not a name)."""
    return next((c.name for c in hub.registry if c.capabilities.sender_is_email_address), None)


def deadlines(hub: Hub) -> requests.Deadlines:
    return requests.Deadlines.from_env(hub.settings.env)


def _calendar(hub: Hub) -> Any:
    return hub.pipeline.applier.calendar


async def _load(s: AsyncSession, request: web.Request) -> DataRequest:
    try:
        return await requests.get_for_update(s, int(request.match_info["id"]))
    except requests.RequestError as err:
        raise WorkflowError(str(err), err.status) from err


async def list_requests(request: web.Request) -> web.Response:
    require(request, *OVERSIGHT)
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s:
        rows = await requests.listing(s, now, open_only=request.query.get("open") == "1")
        items = [requests.as_dict(r, now) for r in rows]
    return web.json_response({"items": items, "late": sum(1 for i in items if i["late"])})


async def get_request(request: web.Request) -> web.Response:
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        req = await _load(s, request)
        audit_action(s, request, user, "data_request_view", "data_request", req.id, now)
        body = requests.as_dict(req, now)
        body["restricted"] = await restriction.is_restricted(s, req.contact_id)
        body["contact"] = _who(await s.get(Contact, req.contact_id))
    return web.json_response(body)


def _who(contact: Contact | None) -> dict[str, str | None]:
    """Who asked, for the supervisor who checks the request (the view is audited)."""
    if contact is None:
        return {"name": None, "phone": None, "email": None, "address": None}
    name = contact.full_name or contact.display_name
    return {"name": name, "phone": contact.phone, "email": contact.email, "address": contact.address}


async def _change(request: web.Request, action: str, work: Any) -> web.Response:
    """One state change in one transaction with its audit row; the answer (if any) sent."""
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    body = await json_body(request)
    now = hub.clock.now()
    sent: list[Message] = []
    async with hub.sm() as s, s.begin():
        req = await _load(s, request)
        try:
            extra, text = await work(s, req, body, user, now, hub)
        except (requests.RequestError, ContactFieldError) as err:
            raise WorkflowError(str(err), getattr(err, "status", 400)) from err
        if "export" in extra:  # in the contact's access log, as the console's export is
            audit_action(
                s, request, user, "contact_export", "contact", req.contact_id, now, detail={"request": req.id}
            )
        meta = extra.pop("meta", None)
        if text:
            msg = await deliver(
                s, req, text, now, email_channel=email_channel(hub), user_id=user.id, meta=meta
            )
            sent += [msg] if msg is not None else []
            if req.status in (requests.ANSWERED, requests.REFUSED) and msg is not None:
                req.answer_message_id = msg.id
        detail = {"kind": req.kind, "status": req.status, "sent": bool(sent)} | (extra.pop("audit", {}))
        audit_action(s, request, user, action, "data_request", req.id, now, detail=detail)
        out = requests.as_dict(req, now) | extra | {"sent_message_id": sent[0].id if sent else None}
    await publish_messages(hub, sent)
    return web.json_response(out)


async def _acknowledge(s: AsyncSession, req: DataRequest, body: Any, user: User, now: Any, hub: Hub) -> Any:
    requests.acknowledge(req, now, user.username)
    day = requests.due(req).astimezone(_calendar(hub).timezone)
    return {}, (
        f"Tổng đài đã tiếp nhận yêu cầu {requests.KIND_LABELS[req.kind]} (mã {req.reference}) và sẽ "
        f"trả lời chậm nhất ngày {day:%d/%m/%Y}."
    )


async def _extend(s: AsyncSession, req: DataRequest, body: Any, user: User, now: Any, hub: Hub) -> Any:
    reason = str_field(body, "reason", max_len=2000).strip()
    requests.extend(req, now, reason, user.username, _calendar(hub), deadlines(hub))
    day = requests.due(req).astimezone(_calendar(hub).timezone)
    return {"audit": {"reason": reason}}, (
        f"Yêu cầu {req.reference} cần thêm thời gian xử lý ({reason}). Tổng đài sẽ trả lời chậm nhất "
        f"ngày {day:%d/%m/%Y}."
    )


def _summary(data: dict[str, Any]) -> str:
    c = data["contact"]
    fields = [("Họ tên", c.get("full_name")), ("Điện thoại", c.get("phone")), ("E-mail", c.get("email"))]
    fields.append(("Địa chỉ", c.get("address")))
    lines = [f"- {k}: {v}" for k, v in fields if v]
    lines.append(f"- Tài khoản trên các kênh: {len(data['identities'])}")
    lines.append(f"- Cuộc hội thoại: {len(data['conversations'])}; phiếu: {len(data['tickets'])}")
    lines.append(f"- Tệp đính kèm: {len(data['attachments'])}")
    return "Dữ liệu tổng đài đang lưu về anh/chị:\n" + "\n".join(lines)


async def _answer(s: AsyncSession, req: DataRequest, body: Any, user: User, now: Any, hub: Hub) -> Any:
    text = str_field(body, "text", max_len=4000).strip() if "text" in body else ""
    extra: dict[str, Any] = {}
    if req.kind in ("view", "copy"):
        data = await contact_export(s, req.contact_id, now)
        extra["export"] = data
        text = "\n\n".join(t for t in (text, _summary(data)) if t)
        requests.answer(req, now, text, user.username)  # the stored answer holds no link
        token, expires = await copy_links.issue(s, req, now, copy_links.LinkPolicy.from_env(hub.settings.env))
        extra["meta"] = {"act": copy_links.ACT}
        link = copy_links.link_text(hub.settings.public_url, token, expires, _calendar(hub).timezone)
        return extra, f"{text}\n\n{link}"
    elif req.kind == "correct":
        contact = await s.get(Contact, req.contact_id, with_for_update=True)
        if contact is None:
            raise requests.RequestError("Không tìm thấy liên hệ", 404)
        changed = update_contact(contact, contact_changes(body.get("changes") or {}), now)
        extra["audit"] = {"fields": sorted(changed)}
        extra["changed"] = sorted(changed)
        text = text or "Thông tin cá nhân của anh/chị đã được chỉnh sửa theo yêu cầu."
    elif req.kind == "delete":
        return await _delete(s, req, text, user, now, hub)
    elif req.kind in restriction.KINDS:
        await restriction.restrict(s, req.contact_id, req.kind, now, request_id=req.id)
        extra["audit"] = {"restriction": req.kind}
        text = text or (
            "Tổng đài đã hạn chế xử lý dữ liệu của anh/chị: tin nhắn sẽ do cán bộ trả lời, "
            "anh/chị không nhận tin thông báo nữa."
        )
    if not text:
        raise requests.RequestError("Cần nội dung trả lời", 400)
    requests.answer(req, now, text, user.username)
    return extra, text


async def _delete(s: AsyncSession, req: DataRequest, text: str, user: User, now: Any, hub: Hub) -> Any:
    """Refused with the legal bases when records must be kept; else answered, and the
    anonymisation follows once the answer is sent (``…/anonymise``): it clears the very
    conversation and channel account the answer goes to."""
    kept = await kept_records(s, req.contact_id, now, RetentionPolicy.from_env(hub.settings.env))
    if kept:
        basis = "\n".join(f"- {k.label}: {k.basis}" for k in kept)
        answer = (
            "Tổng đài chưa thể xoá dữ liệu của anh/chị vì các hồ sơ sau phải được lưu giữ theo quy "
            f"định:\n{basis}\n{RESTRICTION_OFFER}"
        )
        requests.refuse(req, now, answer, basis, user.username)
        return {"kept": [k.__dict__ for k in kept], "audit": {"kept": len(kept)}}, answer
    answer = text or (
        "Tổng đài đồng ý xoá dữ liệu cá nhân của anh/chị: dữ liệu được ẩn danh hoá ngay sau tin nhắn "
        "này, kể cả cuộc trò chuyện này."
    )
    requests.answer(req, now, answer, user.username)
    return {"anonymise_next": True}, answer


async def anonymise(request: web.Request) -> web.Response:
    """``POST …/{id}/anonymise``: a deletion answered, its answer sent (or no channel)."""
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        req = await _load(s, request)
        if req.kind != "delete" or req.status != requests.ANSWERED or req.anonymised_at is not None:
            raise WorkflowError("Chỉ ẩn danh hoá được một yêu cầu xoá đã trả lời, chưa ẩn danh", 409)
        if req.answer_message_id is not None and not await _sent(s, req.answer_message_id):
            raise WorkflowError("Tin trả lời chưa được gửi tới công dân: hãy thử lại sau", 409)
        kept = await kept_records(s, req.contact_id, now, RetentionPolicy.from_env(hub.settings.env))
        if kept:
            raise WorkflowError("Có hồ sơ phải lưu giữ: không thể ẩn danh hoá", 409)
        counts = await anonymise_contact(
            s, req.contact_id, now, media_dir=hub.settings.media_dir, reason=f"data_request:{req.reference}"
        )
        req.text, req.email, req.anonymised_at = None, None, now
        audit_action(
            s, request, user, "data_request_anonymise", "data_request", req.id, now, detail=counts.__dict__
        )
        body = requests.as_dict(req, now) | {"counts": counts.__dict__}
    return web.json_response(body)


async def _sent(s: AsyncSession, message_id: int) -> bool:
    item = (
        await s.execute(select(OutboxItem).where(OutboxItem.message_id == message_id))
    ).scalar_one_or_none()
    return item is None or bool(item.done)


async def _refuse(s: AsyncSession, req: DataRequest, body: Any, user: User, now: Any, hub: Hub) -> Any:
    basis = str_field(body, "basis", max_len=4000).strip()
    if not basis:
        raise requests.RequestError("Cần nêu căn cứ pháp lý của việc từ chối", 400)
    text = str_field(body, "text", max_len=4000).strip() if "text" in body else ""
    answer = text or f"Tổng đài từ chối yêu cầu {req.reference} với căn cứ: {basis}"
    requests.refuse(req, now, answer, basis, user.username)
    return {}, answer


async def lift_restriction(request: web.Request) -> web.Response:
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    contact_id = int(request.match_info["id"])
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        lifted = await restriction.lift(s, contact_id, now, user.username)
        if not lifted:
            raise WorkflowError("Liên hệ này không bị hạn chế xử lý", 404)
        audit_action(s, request, user, "restriction_lift", "contact", contact_id, now)
    return web.json_response({"ok": True, "contact_id": contact_id})


def _route(action: str, work: Any) -> Any:
    async def handle(request: web.Request) -> web.Response:
        return await _change(request, action, work)

    handle.__name__ = action
    return handle


def setup(app: web.Application, hub: Hub) -> None:
    """Add the routes to the console's application."""
    r = app.router
    r.add_get(BASE, list_requests)
    r.add_get(f"{BASE}/{ID}", get_request)
    r.add_post(f"{BASE}/{ID}/acknowledge", _route("data_request_acknowledge", _acknowledge))
    r.add_post(f"{BASE}/{ID}/extend", _route("data_request_extend", _extend))
    r.add_post(f"{BASE}/{ID}/answer", _route("data_request_answer", _answer))
    r.add_post(f"{BASE}/{ID}/refuse", _route("data_request_refuse", _refuse))
    r.add_post(f"{BASE}/{ID}/anonymise", anonymise)
    r.add_post(f"{BASE}/restrictions/{ID}/lift", lift_restriction)
