"""Reference data and administration: agencies, domains, canned answers (read by all staff,
edited by admins), accounts (admins), the audit log (read-only), notifications."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.auth import accounts
from bot.auth.passwords import WeakPassword, verify_password
from bot.console.core import (
    OVERSIGHT,
    STAFF,
    audit_action,
    client_ip,
    hub_of,
    int_field,
    json_body,
    require,
    str_field,
)
from handoff.collation import vi_key
from handoff.workflow import WorkflowError
from storage.clock import as_utc
from storage.models_console import Agency, CannedAnswer, Domain, Notification, Role, TicketTrack, User


def _iso(value: datetime | None) -> str | None:
    v = as_utc(value)
    return v.isoformat() if v else None


async def agencies(request: web.Request) -> web.Response:
    require(request)
    async with hub_of(request).sm() as s:
        found = (await s.execute(select(Agency))).scalars().all()
        # Vietnamese order in Python: SQLite and PostgreSQL collate differently
        rows = sorted(found, key=lambda a: (a.kind, vi_key(a.name)))
        return web.json_response(
            {
                "agencies": [
                    {
                        "id": a.id,
                        "code": a.code,
                        "name": a.name,
                        "kind": a.kind,
                        "hotline": a.hotline,
                        "active": a.active,
                    }
                    for a in rows
                ]
            }
        )


async def domains(request: web.Request) -> web.Response:
    require(request)
    async with hub_of(request).sm() as s:
        found = (await s.execute(select(Domain))).scalars().all()
        rows = sorted(found, key=lambda d: vi_key(d.name))  # Vietnamese order, as the agencies
        return web.json_response(
            {
                "domains": [
                    {
                        "id": d.id,
                        "code": d.code,
                        "name": d.name,
                        "agency_id": d.agency_id,
                        "owner_note": d.owner_note,
                        "active": d.active,
                    }
                    for d in rows
                ]
            }
        )


Coded = Agency | Domain


async def _save_coded(
    request: web.Request,
    model: type[Agency] | type[Domain],
    what: str,
    make: Callable[[str, str], Coded],
    fill: Callable[[Any, dict[str, Any]], None],
) -> web.Response:
    """Create (with a new unique code) or edit an agency or a domain, audited."""
    user = require(request, Role.ADMIN)
    hub = hub_of(request)
    body = await json_body(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        row_id = int_field(body, "id", required=False)
        row: Any = await s.get(model, row_id) if row_id else None
        if row_id and row is None:
            raise WorkflowError(f"Không tìm thấy {what}", 404)
        name = str_field(body, "name", max_len=300).strip()
        if not name:
            raise WorkflowError(f"Cần tên {what}", 400)
        if row is None:
            code = str_field(body, "code", max_len=60).strip()
            if not code or (await s.execute(select(model.id).where(model.code == code))).first():
                raise WorkflowError(f"Mã {what} trống hoặc đã tồn tại", 400)
            row = make(code, name)
            s.add(row)
        row.name = name
        fill(row, body)
        if "active" in body:
            row.active = bool(body["active"])
        try:
            await s.flush()
        except IntegrityError as err:  # an agency_id that does not exist, a code taken meanwhile
            raise WorkflowError(f"Không lưu được {what}: đơn vị không tồn tại hoặc mã đã có", 400) from err
        kind = model.__name__.lower()
        audit_action(s, request, user, f"save_{kind}", kind, row.id, now, detail={"name": name})
    return web.json_response({"ok": True, "id": row.id})


def _fill_agency(agency: Agency, body: dict[str, Any]) -> None:
    """Only the fields the body names change: an edit that leaves out ``hotline`` keeps it
    (``""`` or null removes it)."""
    if "kind" in body:
        agency.kind = str_field(body, "kind", max_len=30) or agency.kind
    if "hotline" in body:
        agency.hotline = str_field(body, "hotline", max_len=60) or None


def _fill_domain(domain: Domain, body: dict[str, Any]) -> None:
    """Only the fields the body names change: an edit that leaves out ``agency_id`` keeps the
    domain's agency (null removes it)."""
    if "agency_id" in body:
        domain.agency_id = int_field(body, "agency_id", required=False)
    if "owner_note" in body:
        domain.owner_note = str_field(body, "owner_note", max_len=1000) or None


async def save_agency(request: web.Request) -> web.Response:
    return await _save_coded(
        request,
        Agency,
        "đơn vị",
        lambda code, name: Agency(code=code, name=name, kind="department", active=True),
        _fill_agency,
    )


async def save_domain(request: web.Request) -> web.Response:
    return await _save_coded(
        request,
        Domain,
        "lĩnh vực",
        lambda code, name: Domain(code=code, name=name, position=999, active=True),
        _fill_domain,
    )


async def canned(request: web.Request) -> web.Response:
    require(request)
    q = request.query.get("q", "").strip()[:100]
    stmt = select(CannedAnswer).where(CannedAnswer.active.is_(True))
    if q:
        stmt = stmt.where(or_(CannedAnswer.title.ilike(f"%{q}%"), CannedAnswer.text.ilike(f"%{q}%")))
    async with hub_of(request).sm() as s:
        rows = (await s.execute(stmt.order_by(CannedAnswer.title).limit(100))).scalars().all()
        return web.json_response({"canned": [{"id": c.id, "title": c.title, "text": c.text} for c in rows]})


async def save_canned(request: web.Request) -> web.Response:
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    body = await json_body(request)
    title = str_field(body, "title", max_len=200).strip()
    text = str_field(body, "text", max_len=4000).strip()
    if not title or not text:
        raise WorkflowError("Cần tiêu đề và nội dung", 400)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        row = CannedAnswer(title=title, text=text, active=True, created_at=now)
        s.add(row)
        await s.flush()
        audit_action(s, request, user, "save_canned", "canned", row.id, now)
    return web.json_response({"ok": True, "id": row.id})


def _notice_filter(user: User) -> Any:
    if user.role == Role.AGENCY:
        return (Notification.role == Role.AGENCY.value) & (Notification.agency_id == user.agency_id)
    if user.role in {Role.SUPERVISOR.value, Role.ADMIN.value}:
        return Notification.role == Role.SUPERVISOR.value
    return Notification.role == Role.OPERATOR.value


async def notifications(request: web.Request) -> web.Response:
    """The user's notices, newest first; unread notices of urgent tickets before all others
    (Điều 13.2)."""
    user = require(request)
    urgent_unread = and_(TicketTrack.urgent.is_(True), Notification.read.is_(False))
    async with hub_of(request).sm() as s:
        rows = (
            await s.execute(
                select(Notification, TicketTrack.urgent)
                .outerjoin(TicketTrack, TicketTrack.ticket_id == Notification.ticket_id)
                .where(_notice_filter(user))
                .order_by(case((urgent_unread, 0), else_=1), Notification.id.desc())
                .limit(200)
            )
        ).all()
        return web.json_response(
            {
                "notifications": [
                    {
                        "id": n.id,
                        "kind": n.kind,
                        "text": n.text,
                        "ticket_id": n.ticket_id,
                        "urgent": bool(urgent),
                        "read": n.read,
                        "created_at": _iso(n.created_at),
                    }
                    for n, urgent in rows
                ]
            }
        )


async def faq_search(request: web.Request) -> web.Response:
    """FAQ search for operators (Điều 10.1: answer from the Q&A database), over this
    worker's active FAQ index — the same ranking the bot uses."""
    require(request, *STAFF)
    q = request.query.get("q", "").strip()[:500]
    index = getattr(hub_of(request), "faq", None)
    if not q or index is None or not index.available:
        return web.json_response({"available": bool(index is not None and index.available), "results": []})
    engine = index.holder.engine
    ranked = await asyncio.to_thread(engine.rank, q)
    results = []
    for sc in ranked[:8]:
        e = engine.entries[sc.index]
        results.append(
            {
                "id": e.id,
                "question": e.question,
                "answer": e.answer,
                "domain": e.domain,
                "agency": e.agency,
                "score": round(sc.score, 4),
            }
        )
    return web.json_response({"available": True, "results": results})


async def change_own_password(request: web.Request) -> web.Response:
    """Any user, with the current password; other sessions end, this one gets a new id."""
    from bot.console.core import current_user, set_cookie

    user = current_user(request)
    hub = hub_of(request)
    body = await json_body(request)
    now = hub.clock.now()
    if not verify_password(user.password_hash, str_field(body, "current", max_len=1000)):
        raise WorkflowError("Mật khẩu hiện tại không đúng", 403)
    try:
        async with hub.sm() as s, s.begin():
            row = await s.get(User, user.id)
            assert row is not None
            await accounts.set_password(s, row, str_field(body, "password", max_len=1000), now)
            new = await accounts.new_session(s, row.id, now, client_ip(request))
            audit_action(s, request, row, "change_password", "user", row.id, now)
    except WeakPassword as err:
        raise WorkflowError(str(err), 400) from err
    response = web.json_response({"ok": True, "csrf": new.csrf})
    set_cookie(request, response, new.token)
    return response


async def mark_notifications_read(request: web.Request) -> web.Response:
    user = require(request)
    async with hub_of(request).sm() as s, s.begin():
        await s.execute(
            update(Notification).where(_notice_filter(user), Notification.read.is_(False)).values(read=True)
        )
    return web.json_response({"ok": True})
