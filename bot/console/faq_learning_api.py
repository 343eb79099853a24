"""Learning from use in the console (issue 12; records kept by :mod:`bot.faq_learning`).

POST /console/api/conversations/{id}/faq-reply   {faq_id}: the entry's answer as the
     operator's reply (the operator must hold the conversation); records the citizen's last
     message with the entry as ``operator_used``
POST /console/api/messages/{id}/wrong            a bot FAQ answer marked wrong: records the
     citizen message it answered with its entry as ``marked_wrong``
GET  /console/api/faq/proposals                  proposed phrasings ("câu hỏi tương tự") and
     warnings per entry: an agency officer's own agency, every agency for admins/supervisors
POST /console/api/faq/proposals/accept           {agency, entry_id, text[, activate]}: a new FAQ
     version with the phrasing, activated at once unless ``activate`` is false
POST /console/api/faq/proposals/reject           {agency, entry_id, text}: never proposed again
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.conversations import _held
from bot.console.core import (
    STAFF,
    audit_action,
    hub_of,
    json_body,
    own_agency,
    publish_messages,
    require,
    str_field,
)
from bot.faq_learning import (
    MARKED_WRONG,
    OPERATOR_USED,
    AlreadyReviewed,
    ProposalGone,
    accept,
    marked_wrong,
    proposals,
    record,
    recorded_text,
    reject,
)
from bot.hub import Hub
from bot.serialize import message_dict
from connectors.base import SenderRole
from faq.model import FaqEntry
from handoff.workflow import WorkflowError
from storage.models import Conversation, ConversationState, Direction, Message
from storage.models_console import Role, User
from storage.models_faq import FaqPhrasingReview
from storage.record.outbound import add_reply

FAQ_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.AGENCY)  # as on the FAQ versions page (bot.faq_admin)


def _entry(hub: Hub, faq_id: str) -> FaqEntry:
    """The entry of the active FAQ (as the console's FAQ search found it)."""
    index = getattr(hub, "faq", None)
    if index is not None and index.available:
        for e in index.holder.engine.entries:
            if e.id == faq_id:
                return e
    raise WorkflowError("Câu hỏi này không còn trong bộ câu hỏi đang dùng", 404)


async def _citizen_before(s: AsyncSession, conv_id: int, seq: int | None = None) -> str | None:
    """The citizen's last message in the conversation (before ``seq`` when given)."""
    stmt = select(Message.text).where(
        Message.conversation_id == conv_id,
        Message.direction == Direction.INBOUND.value,
        Message.sender_role == SenderRole.CITIZEN.value,
    )
    if seq is not None:
        stmt = stmt.where(Message.seq < seq)
    found = await s.execute(stmt.order_by(Message.seq.desc()).limit(1))
    return found.scalars().first()


async def faq_reply(request: web.Request) -> web.Response:
    """ "Dùng câu trả lời này": the entry's answer sent as the operator's reply."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    conv_id = int(request.match_info["id"])
    entry = _entry(hub, str_field(await json_body(request), "faq_id", max_len=100).strip())
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        conv = await _held(s, conv_id, user, allow_oversight=False)
        if conv.state == ConversationState.CLOSED.value:
            raise WorkflowError("Hội thoại đã đóng", 409)
        asked = await _citizen_before(s, conv_id)
        conv.updated_at = now
        meta = {"faq_id": entry.id}
        msg = await add_reply(
            s, conv, entry.answer, now, role=SenderRole.OPERATOR, user_id=user.id, meta=meta
        )
        if asked:
            await record(
                s,
                now,
                text=asked,
                entry_id=entry.id,
                outcome=OPERATOR_USED,
                conversation_id=conv_id,
                message_id=msg.id,
                user_id=user.id,
            )
        detail = {"message_id": msg.id, "faq_id": entry.id}
        audit_action(s, request, user, "reply", "conversation", conv_id, now, detail=detail)
    await publish_messages(hub, [msg])
    return web.json_response({"ok": True, "message": message_dict(msg), "recorded": bool(asked)})


async def mark_wrong(request: web.Request) -> web.Response:
    """ "Bot trả lời sai" on a bot message that answered with an FAQ entry."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    message_id = int(request.match_info["id"])
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        msg = await s.get(Message, message_id)
        faq_id = (msg.meta or {}).get("faq_id") if msg is not None else None
        if msg is None or msg.sender_role != SenderRole.BOT.value or not isinstance(faq_id, str):
            raise WorkflowError("Không có câu trả lời của trợ lý ảo từ bộ câu hỏi này", 404)
        if await marked_wrong(s, message_id):
            raise WorkflowError("Câu trả lời này đã được đánh dấu sai", 409)
        conv = await s.get(Conversation, msg.conversation_id)
        asked = await recorded_text(s, message_id) or await _citizen_before(s, msg.conversation_id, msg.seq)
        if not asked or conv is None:
            raise WorkflowError("Không tìm thấy câu hỏi của người dân mà câu trả lời này đáp lại", 409)
        await record(
            s,
            now,
            text=asked,
            entry_id=faq_id,
            outcome=MARKED_WRONG,
            conversation_id=conv.id,
            message_id=message_id,
            user_id=user.id,
        )
        detail = {"faq_id": faq_id, "conversation_id": conv.id}
        audit_action(s, request, user, "faq.mark_wrong", "message", message_id, now, detail=detail)
    return web.json_response({"ok": True, "faq_id": faq_id, "text": asked})


async def list_proposals(request: web.Request) -> web.Response:
    hub = hub_of(request)
    user = require(request, *FAQ_ROLES)
    own = await own_agency(hub, user)
    agency = own or request.query.get("agency") or None
    found = await proposals(hub.sm, agency)
    return web.json_response({"entries": [p.to_dict() for p in found]})


def _audit(
    request: web.Request, user: User, action: str
) -> Callable[[AsyncSession, FaqPhrasingReview], object]:
    def add(s: AsyncSession, review: FaqPhrasingReview) -> object:
        detail = {
            "agency": review.agency,
            "entry_id": review.entry_id,
            "text": review.text,
            "version_id": review.version_id,
        }
        now = hub_of(request).clock.now()
        return audit_action(s, request, user, action, "faq_phrasing", review.id, now, detail=detail)

    return add


async def _proposal(request: web.Request) -> tuple[Hub, User, dict[str, Any], str]:
    hub = hub_of(request)
    user = require(request, *FAQ_ROLES)
    own = await own_agency(hub, user)
    body = await json_body(request)
    agency = str_field(body, "agency", max_len=300).strip()
    if own is not None and agency != own:
        raise WorkflowError("Câu hỏi của đơn vị khác", 403)
    if (
        not agency
        or not str_field(body, "entry_id", max_len=100)
        or not str_field(body, "text", max_len=4000)
    ):
        raise WorkflowError("Cần đơn vị, mã câu hỏi và câu đề xuất", 400)
    return hub, user, body, agency


async def accept_proposal(request: web.Request) -> web.Response:
    hub, user, body, agency = await _proposal(request)
    try:
        info = await accept(
            hub.sm,
            hub.clock,
            agency=agency,
            entry_id=str(body["entry_id"]),
            text=str(body["text"]),
            user=user,
            activate=body.get("activate", True) is not False,
            on_review=_audit(request, user, "faq.accept_phrasing"),
        )
    except ProposalGone as err:
        raise WorkflowError(str(err), 404) from err
    except AlreadyReviewed as err:
        raise WorkflowError(str(err), 409) from err
    version = {"id": info.id, "agency": info.agency, "number": info.number, "active": info.active}
    return web.json_response({"ok": True, "version": version})


async def reject_proposal(request: web.Request) -> web.Response:
    hub, user, body, agency = await _proposal(request)
    try:
        await reject(
            hub.sm,
            hub.clock,
            agency=agency,
            entry_id=str(body["entry_id"]),
            text=str(body["text"]),
            user=user,
            on_review=_audit(request, user, "faq.reject_phrasing"),
        )
    except ProposalGone as err:
        raise WorkflowError(str(err), 404) from err
    except AlreadyReviewed as err:
        raise WorkflowError(str(err), 409) from err
    return web.json_response({"ok": True})
