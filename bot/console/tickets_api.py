"""Tickets in the console: create from a conversation, log a phone call, list (scoped by
role), detail, and the workflow actions of the regulation."""

from __future__ import annotations

import hashlib
import mimetypes
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from sqlalchemy import select

from bot.console.agency_mail import send_agency_notices
from bot.console.core import (
    OVERSIGHT,
    STAFF,
    actor,
    audit_action,
    audit_view,
    int_field,
    json_body,
    publish_outcome,
    require,
    state_of,
    str_field,
    time_field,
)
from bot.console.ticket_list import domain_agency_of, find_tickets, iso, list_filters, ticket_dict
from bot.hub import hub_of
from bot.media_http import keys_of, media_response
from connectors.text import storable
from handoff import workflow as wf
from handoff.deadlines import urgent_answer_within
from handoff.ticket_actions import allowed_actions
from handoff.workflow import WorkflowError
from storage.media import store_file
from storage.media_crypto import MediaError
from storage.models import Conversation, Ticket
from storage.models_console import (
    Agency,
    Domain,
    Role,
    TicketEvent,
    TicketFile,
    TicketStatus,
    TicketTrack,
    User,
)

MAX_RECORDING = 50 * 1024 * 1024
CONTACT_LIMITS = {"full_name": 200, "phone": 32, "email": 320, "address": 1000}  # the contact columns


async def list_tickets(request: web.Request) -> web.Response:
    """``GET /console/api/tickets``: the filters are in :mod:`bot.console.ticket_list`."""
    user = require(request)
    hub = hub_of(request)
    now = hub.clock.now()
    filters = list_filters(request)
    async with hub.sm() as s:
        rows, truncated = await find_tickets(s, user, filters, now)
        tickets = [ticket_dict(t, tr, now, request, agency) for t, tr, agency in rows]
    return web.json_response({"tickets": tickets, "truncated": truncated})


async def get_ticket(request: web.Request) -> web.Response:
    user = require(request)
    hub = hub_of(request)
    ticket_id = int(request.match_info["id"])
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        t, tr = await wf.load(s, ticket_id, actor(user), lock=False)  # 403 for another agency
        events = (
            await s.execute(
                select(TicketEvent, User.username)
                .outerjoin(User, User.id == TicketEvent.user_id)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
        ).all()
        files = (await s.execute(select(TicketFile).where(TicketFile.ticket_id == ticket_id))).scalars().all()
        agency_names = {int(i): str(n) for i, n in (await s.execute(select(Agency.id, Agency.name))).all()}
        await audit_view(s, request, user, "view_ticket", "ticket", ticket_id, now)
        body = ticket_dict(t, tr, now, request, await domain_agency_of(s, tr))
        body["actions"] = allowed_actions(actor(user), t, tr)  # what the console may offer now
        body["history"] = [
            {
                "at": iso(e.at),
                "user": name,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "agency": agency_names.get(e.agency_id) if e.agency_id else None,
                "text": e.text,
                "due_at": iso(e.due_at),
            }
            for e, name in events
        ]
        body["files"] = [
            {"id": f.id, "name": f.name, "size": f.size, "mime_type": f.mime_type} for f in files
        ]
    return web.json_response(body)


async def _run(request: web.Request, action: str, fn: Any, **detail: Any) -> web.Response:
    """Run one workflow transition in a transaction with its audit record, then publish."""
    user = require(request)
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        out: wf.Outcome = await fn(s, actor(user), now)
        audit_action(
            s,
            request,
            user,
            action,
            "ticket",
            out.ticket.id,
            now,
            detail={k: v for k, v in detail.items() if v is not None} or None,
        )
        agency = await domain_agency_of(s, out.track)
    await publish_outcome(hub, out)
    if any(n.role == Role.AGENCY.value for n in out.notifications):
        hub.spawn(send_agency_notices(hub))  # the agency's mail now, not at the next scan
    return web.json_response({"ok": True, "ticket": ticket_dict(out.ticket, out.track, now, request, agency)})


async def create_from_conversation(request: web.Request) -> web.Response:
    require(request, *STAFF)
    conv_id = int(request.match_info["id"])
    body = await json_body(request)
    state = state_of(request)
    contact = {k: str_field(body, k, max_len=n) or None for k, n in CONTACT_LIMITS.items()}

    async def fn(s: Any, who: wf.Actor, now: datetime) -> wf.Outcome:
        conv = await s.get(Conversation, conv_id)
        if conv is None:
            raise WorkflowError("Không tìm thấy hội thoại", 404)
        return await wf.open_ticket(
            s,
            conv,
            who,
            now,
            content=str_field(body, "content"),
            kind=str_field(body, "kind", max_len=30) or "request",
            domain_id=int_field(body, "domain_id", required=False),
            prefix=state.prefix,
            full_name=contact["full_name"],
            phone=contact["phone"],
            email=contact["email"],
            address=contact["address"],
            hotline=hub_of(request).settings.hotline_name,
        )

    try:
        return await _run(request, "create_ticket", fn, conversation_id=conv_id)
    except ValueError as err:  # TicketError
        raise WorkflowError(str(err), 400) from err


def _transition(name: str, **fields: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        ticket_id = int(request.match_info["id"])
        body = await json_body(request)
        cal = state_of(request).calendar
        urgent_within = urgent_answer_within(hub_of(request).settings.env)  # Điều 13.2
        hotline = hub_of(request).settings.hotline_name

        async def fn(s: Any, who: wf.Actor, now: datetime) -> wf.Outcome:
            if name == "refuse":
                return await wf.refuse(s, ticket_id, who, now, str_field(body, "reason"), hotline=hotline)
            if name == "forward":
                return await wf.forward(
                    s,
                    ticket_id,
                    who,
                    now,
                    cal,
                    int_field(body, "agency_id") or 0,
                    str_field(body, "note"),
                    call_transferred=body.get("call_transferred") is True,
                    urgent_within=urgent_within,
                    domain_id=int_field(body, "domain_id", required=False),  # handoff.ticket_domain
                )
            if name == "assign":
                return await wf.assign(
                    s,
                    ticket_id,
                    who,
                    now,
                    cal,
                    int_field(body, "agency_id") or 0,
                    str_field(body, "note"),
                    urgent_within=urgent_within,
                    domain_id=int_field(body, "domain_id", required=False),
                )
            if name == "unclear":
                return await wf.mark_unclear(s, ticket_id, who, now, str_field(body, "note"), hotline=hotline)
            if name == "progress":
                return await wf.progress(
                    s, ticket_id, who, now, str_field(body, "text"), time_field(body, "appointment_at")
                )
            if name == "phone_answered":
                return await wf.phone_answered(s, ticket_id, who, now, cal, str_field(body, "text"))
            if name == "answer":
                return await wf.answer(s, ticket_id, who, now, str_field(body, "text"))
            if name == "more_info":
                return await wf.ask_more_info(s, ticket_id, who, now, str_field(body, "text"))
            if name == "send_back":
                return await wf.send_back(s, ticket_id, who, now, str_field(body, "reason"))
            if name == "close":
                return await wf.close(s, ticket_id, who, now, str_field(body, "note"))
            if name == "urgent":
                return await wf.set_urgent(s, ticket_id, who, now, _urgent_field(body))
            raise AssertionError(name)

        return await _run(
            request,
            name,
            fn,
            agency_id=body.get("agency_id"),
            urgent=body.get("urgent") if name == "urgent" else None,
        )

    handler.__name__ = f"ticket_{name}"
    return handler


ACTIONS = (
    "more_info",
    "refuse",
    "forward",
    "assign",
    "unclear",
    "progress",
    "phone_answered",
    "answer",
    "send_back",
    "close",
    "urgent",  # body {"urgent": true | false}
)


def _urgent_field(body: dict[str, Any]) -> bool:
    value = body.get("urgent")
    if not isinstance(value, bool):
        raise WorkflowError("Trường urgent phải là true hoặc false", 400)
    return value


async def _read_call_form(
    request: web.Request,
) -> tuple[dict[str, str], tuple[str, str | None, bytes] | None]:
    """multipart/form-data (with an optional ``recording`` file) or JSON."""
    if not request.content_type.startswith("multipart/"):
        body = await json_body(request)
        ints = {k: str(v) for k, v in body.items() if isinstance(v, int) and not isinstance(v, bool)}
        return {k: str_field(body, k) for k in body if isinstance(body[k], str)} | ints, None
    reader = await request.multipart()
    fields: dict[str, str] = {}
    upload: tuple[str, str | None, bytes] | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "recording" and part.filename:
            filename = storable(part.filename)
            data = bytearray()
            while chunk := await part.read_chunk(65536):
                data.extend(chunk)
                if len(data) > MAX_RECORDING:
                    raise WorkflowError("Tệp ghi âm quá lớn (tối đa 50 MB)", 413)
            if data:
                upload = (filename, part.headers.get("Content-Type"), bytes(data))
        elif part.name:
            fields[part.name] = storable((await part.read(decode=True)).decode("utf-8", "replace")[:20000])
    return fields, upload


def _safe_name(name: str) -> str:
    keep = "".join(c for c in name if c.isalnum() or c in "._- ")[:150].strip()
    return keep or "ghi-am"


async def log_call(request: web.Request) -> web.Response:
    """Log a hotline call as a ticket (Điều 11.1): caller, phone, content, answer, recording."""
    require(request, *STAFF)
    state = state_of(request)
    fields, upload = await _read_call_form(request)
    caller = str_field(fields, "caller", max_len=CONTACT_LIMITS["full_name"]).strip()
    phone = str_field(fields, "phone", max_len=CONTACT_LIMITS["phone"]).strip()
    content = fields.get("content", "").strip()
    answer_text = fields.get("answer", "").strip()
    line = fields.get("line", "1022").strip()[:26]  # the ticket's channel is "phone:<line>", 32 at most
    if not phone:
        raise WorkflowError("Cần số điện thoại người gọi", 400)
    stored: tuple[str, str | None, int, str, str] | None = None
    if upload is not None:
        name, mime, data = upload
        mime = mime or mimetypes.guess_type(name)[0]
        if not (mime or "").startswith("audio/"):
            raise WorkflowError("Tệp ghi âm phải là tệp âm thanh (audio/*)", 400)
        digest = hashlib.sha256(data).hexdigest()
        name_on_disk = f"{uuid.uuid4().hex}{mimetypes.guess_extension(mime or '') or '.bin'}"
        path = await store_file(
            state.media_dir / "recordings" / name_on_disk, data, keys_of(hub_of(request).settings)
        )
        stored = (_safe_name(name), mime, len(data), str(path), digest)

    async def fn(s: Any, who: wf.Actor, now: datetime) -> wf.Outcome:
        out = await wf.open_ticket(
            s,
            None,
            who,
            now,
            content=content,
            kind="call",
            domain_id=int_field(fields, "domain_id", required=False),
            prefix=state.prefix,
            full_name=caller or None,
            phone=phone,
            tell=False,
        )
        out.track.caller_name = caller or None
        out.track.caller_phone = phone
        out.track.call_answer = answer_text or None
        out.ticket.channel = f"phone:{line}"
        if stored is not None:
            s.add(
                TicketFile(
                    ticket_id=out.ticket.id,
                    kind="recording",
                    name=stored[0],
                    mime_type=stored[1],
                    size=stored[2],
                    stored_path=stored[3],
                    sha256=stored[4],
                    created_at=now,
                )
            )
        if answer_text:
            answered = await wf.answer(s, out.ticket.id, who, now, answer_text)
            return answered
        return out

    try:
        return await _run(request, "log_call", fn, line=line)
    except ValueError as err:
        raise WorkflowError(str(err), 400) from err


async def download_file(request: web.Request) -> web.StreamResponse:
    user = require(request)
    hub = hub_of(request)
    ticket_id, file_id = int(request.match_info["id"]), int(request.match_info["file_id"])
    async with hub.sm() as s, s.begin():
        await wf.load(s, ticket_id, actor(user), lock=False)
        f = await s.get(TicketFile, file_id)
        if f is None or f.ticket_id != ticket_id:
            raise WorkflowError("Không tìm thấy tệp", 404)
        audit_action(
            s,
            request,
            user,
            "download_recording",
            "ticket",
            ticket_id,
            hub.clock.now(),
            detail={"file_id": file_id},
        )
    headers = {
        "Content-Type": f.mime_type or "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{f.name}"',
        "X-Content-Type-Options": "nosniff",
    }
    try:
        return await media_response(request, Path(f.stored_path), keys_of(hub.settings), headers)
    except MediaError as err:
        raise WorkflowError(str(err), 500) from err


async def supervisor_queue(request: web.Request) -> web.Response:
    """Tickets whose authority is unclear, for Sở TT&TT (Điều 10.4)."""
    require(request, *OVERSIGHT)
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s:
        rows = (
            await s.execute(
                select(Ticket, TicketTrack, Domain.agency_id)
                .join(TicketTrack, TicketTrack.ticket_id == Ticket.id)
                .outerjoin(Domain, Domain.id == TicketTrack.domain_id)
                .where(Ticket.status == TicketStatus.UNCLEAR.value)
                .order_by(TicketTrack.urgent.desc(), Ticket.id)  # Điều 13.2: urgent first
            )
        ).all()
        return web.json_response({"tickets": [ticket_dict(t, tr, now, request, a) for t, tr, a in rows]})
