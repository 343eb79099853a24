"""``/api/v1/tickets``: another app records a citizen's request (Điều 7.2, 9.1) and follows
it. The one module that changes ``api_idempotency_keys`` and ``api_ticket_sources``; the
ticket itself is created by :func:`handoff.tickets.create_ticket`.

``POST`` needs the header ``Idempotency-Key``: the same key with the same body gives back the
first answer (201, then 200 with the same body and ``Idempotent-Replayed: true``); the same
key with another body is a 422. Keys are kept ``HUB_API_IDEMPOTENCY_HOURS`` (24)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from bot.api_v1.auth import ApiTokenInfo, api_problem, require_scope
from bot.api_v1.common import BLANK, invalid, json_object, text_field, unknown_fields
from bot.auth.audit import record
from bot.console.core import client_ip, publish_outcome
from bot.hub import Hub, hub_of
from handoff.lookup import CODE_RE, CitizenStatus, normalize_code, ticket_status_for_citizen
from handoff.masking import mask_answer
from handoff.publication import personal_data
from handoff.tickets import create_ticket, ticket_prefix
from handoff.workflow_base import Outcome
from storage.clock import as_utc
from storage.models import Ticket
from storage.models_console import Domain, TicketTrack
from storage.models_integrations import ApiIdempotencyKey, ApiTicketSource

KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{6,30}$")
EMAIL_PATTERN = f"^[^@{BLANK}]+@[^@{BLANK}]+$"  # the same in Python and in JSON Schema
EMAIL_RE = re.compile(EMAIL_PATTERN)
IDEMPOTENCY_ENV = "HUB_API_IDEMPOTENCY_HOURS"
CHANNEL = "api"
KINDS = ("request", "incident")
LIMITS = {
    "content": 20_000,
    "full_name": 200,
    "address": 1000,
    "phone": 32,
    "email": 320,
    "domain": 300,
    "source_app": 100,
    "external_ref": 200,
}
REQUIRED = frozenset({"content", "full_name", "address", "phone", "source_app"})
FIELDS = frozenset({*LIMITS, "kind"})


@dataclass(frozen=True)
class NewTicket:
    content: str
    full_name: str
    address: str
    phone: str
    email: str | None
    domain: str | None
    source_app: str
    external_ref: str | None
    kind: str


def read_new_ticket(body: dict[str, Any]) -> NewTicket:
    unknown_fields(body, FIELDS)
    patterns = {"phone": PHONE_RE, "email": EMAIL_RE}
    got = {
        k: text_field(body, k, max_len=n, required=k in REQUIRED, pattern=patterns.get(k))
        for k, n in LIMITS.items()
    }
    kind = body.get("kind", "request")
    if kind not in KINDS:
        raise invalid(f"Trường 'kind' phải là một trong: {', '.join(KINDS)}")
    return NewTicket(
        content=got["content"] or "",
        full_name=got["full_name"] or "",
        address=got["address"] or "",
        phone=got["phone"] or "",
        email=got["email"],
        domain=got["domain"],
        source_app=got["source_app"] or "",
        external_ref=got["external_ref"],
        kind=str(kind),
    )


def idempotency_key(request: web.Request) -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        raise api_problem(
            400, "idempotency_key_missing", "Thiếu tiêu đề Idempotency-Key (tối đa 200 ký tự ASCII)"
        )
    if not KEY_RE.match(key):
        raise invalid("Idempotency-Key phải gồm 1–200 ký tự ASCII nhìn thấy được (không có dấu cách)")
    return key


def fingerprint(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def keep_for(hub: Hub) -> timedelta:
    raw = (hub.settings.env.get(IDEMPOTENCY_ENV) or "").strip()
    return timedelta(hours=int(raw) if raw.isdigit() and int(raw) > 0 else 24)


async def _domain(s: Any, wanted: str | None) -> Domain | None:
    if not wanted:
        return None
    found = await s.execute(
        select(Domain)
        .where(Domain.active.is_(True), or_(Domain.code == wanted, func.lower(Domain.name) == wanted.lower()))
        .order_by(Domain.id)
        .limit(1)
    )
    return found.scalar_one_or_none()


def _replay(row: ApiIdempotencyKey, fp: str) -> web.Response:
    if row.fingerprint != fp:
        raise api_problem(
            422,
            "idempotency_key_reused",
            "Idempotency-Key này đã được dùng cho một yêu cầu có nội dung khác",
        )
    return web.json_response(row.response, status=200, headers={"Idempotent-Replayed": "true"})


async def _stored(hub: Hub, token_id: int, key: str, now: datetime) -> ApiIdempotencyKey | None:
    async with hub.sm() as s:
        row = (
            await s.execute(
                select(ApiIdempotencyKey).where(
                    ApiIdempotencyKey.token_id == token_id, ApiIdempotencyKey.key == key
                )
            )
        ).scalar_one_or_none()
    return row if row is not None and (as_utc(row.expires_at) or now) > now else None


async def create(request: web.Request) -> web.Response:
    """``POST /api/v1/tickets``."""
    token = await require_scope(request, "tickets:create")
    hub = hub_of(request)
    key = idempotency_key(request)
    body = await json_object(request)
    new = read_new_ticket(body)
    fp, now = fingerprint(body), hub.clock.now()
    if (row := await _stored(hub, token.id, key, now)) is not None:
        return _replay(row, fp)
    try:
        response, outcome = await _create(request, hub, token, key, fp, new, now)
    except IntegrityError:  # the same key at the same moment from another request
        if (row := await _stored(hub, token.id, key, now)) is None:
            raise
        return _replay(row, fp)
    await publish_outcome(hub, outcome)
    return web.json_response(response, status=201)


async def _create(
    request: web.Request, hub: Hub, token: ApiTokenInfo, key: str, fp: str, new: NewTicket, now: datetime
) -> tuple[dict[str, Any], Outcome]:
    async with hub.sm() as s, s.begin():
        # this token's expired keys are forgotten (the one being reused among them)
        await s.execute(
            delete(ApiIdempotencyKey).where(
                ApiIdempotencyKey.token_id == token.id, ApiIdempotencyKey.expires_at <= now
            )
        )
        domain = await _domain(s, new.domain)
        ticket = await create_ticket(
            s,
            None,
            content=new.content,
            now=now,
            kind=new.kind,
            full_name=new.full_name,
            phone=new.phone,
            email=new.email,
            address=new.address,
            channel=CHANNEL,
            domain=domain,
            prefix=ticket_prefix(hub.settings.env),
        )
        s.add(
            ApiTicketSource(
                ticket_id=ticket.id,
                token_id=token.id,
                source_app=new.source_app,
                external_ref=new.external_ref,
                created_at=now,
            )
        )
        warnings = (
            [] if domain or not new.domain else [f"Không có lĩnh vực '{new.domain}': tổng đài sẽ phân loại"]
        )
        response = {"ticket": _created(ticket, new), "warnings": warnings}
        s.add(
            ApiIdempotencyKey(
                token_id=token.id,
                key=key,
                fingerprint=fp,
                status=201,
                response=response,
                created_at=now,
                expires_at=now + keep_for(hub),
            )
        )
        record(
            s,
            user=None,
            action="api_create_ticket",
            object_type="ticket",
            object_id=ticket.id,
            now=now,
            ip=client_ip(request),
            detail={"token": token.name, "token_id": token.id, "source_app": new.source_app},
        )
        track = await s.get(TicketTrack, ticket.id)
        assert track is not None
        await s.flush()
    return response, Outcome(ticket, track)


def _created(ticket: Ticket, new: NewTicket) -> dict[str, Any]:
    return {
        "code": ticket.code,
        "status": ticket.status,
        "kind": ticket.kind,
        "domain": ticket.domain,
        "received_at": ticket.created_at.isoformat(),
        "source_app": new.source_app,
        "external_ref": new.external_ref,
    }


async def read(request: web.Request) -> web.Response:
    """``GET /api/v1/tickets/{code}``: what the citizen may see; the answer and the notes
    masked as the public portal masks them, unless this token created the ticket."""
    token = await require_scope(request, "tickets:read")
    hub = hub_of(request)
    code = normalize_code(request.match_info["code"])
    if not CODE_RE.match(code):
        raise api_problem(404, "ticket_not_found", "Không có phiếu với mã này")
    now = hub.clock.now()
    async with hub.sm() as s:
        status = await ticket_status_for_citizen(s, code, now)
        if status is None:
            raise api_problem(404, "ticket_not_found", f"Không có phiếu {code}")
        ticket = (await s.execute(select(Ticket).where(Ticket.code == code))).scalar_one()
        source = await s.get(ApiTicketSource, ticket.id)
        own = source is not None and source.token_id == token.id
        track = await s.get(TicketTrack, ticket.id)
        known = await personal_data(s, ticket, track) if track is not None and not own else None
    body = status_json(status, None if own else lambda t: mask_answer(t, known))
    body["source_app"] = source.source_app if own and source else None
    body["external_ref"] = source.external_ref if own and source else None
    return web.json_response(body)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def status_json(st: CitizenStatus, masker: Any) -> dict[str, Any]:
    def shown(text: str | None) -> str | None:
        return text if text is None or masker is None else masker(text)

    return {
        "code": st.code,
        "status": st.status,
        "status_label": st.status_label,
        "agency": st.agency,
        "domain": st.domain,
        "received_at": st.received_at.isoformat(),
        "due_at": _iso(st.due_at),
        "overdue": st.overdue,
        "answer": shown(st.answer),
        "answered_at": _iso(st.answered_at),
        "refusal_reason": shown(st.refusal_reason),
        "notes": [
            {
                "at": n.at.isoformat(),
                "action": n.action,
                "label": n.label,
                "text": shown(n.text),
                "due_at": _iso(n.due_at),
            }
            for n in st.notes
        ],
    }


def add_routes(router: web.UrlDispatcher, prefix: str) -> None:
    router.add_post(f"{prefix}/tickets", create)
    router.add_get(f"{prefix}/tickets/{{code}}", read)
