"""Operator side of conversations: live queue, take over, history across channels, reply,
internal notes, hand back to the bot, close, merge contacts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.conversation_views import (
    SlaLimits,
    contact_dict,
    conversation_dict,
    load_conversation,
    unread_counts,
)
from bot.console.core import (
    OVERSIGHT,
    STAFF,
    audit_action,
    audit_view,
    hub_of,
    json_body,
    publish_messages,
    require,
    state_of,
    str_field,
)
from bot.events import QUEUE_TOPIC
from bot.hub import Hub
from bot.serialize import message_dict
from connectors.base import SenderRole
from connectors.http_json import INT64_MAX, int_value
from handoff.workflow import WorkflowError
from storage.models import (
    ChannelIdentity,
    Contact,
    Conversation,
    ConversationState,
    Message,
    Ticket,
)
from storage.models_console import User
from storage.record import conversations
from storage.record.outbound import add_note, add_reply

log = logging.getLogger(__name__)


async def _publish_queue(request: web.Request, conv_id: int, state: str, assignee: int | None) -> None:
    await hub_of(request).bus.publish(
        QUEUE_TOPIC, {"type": "queue", "conversation_id": conv_id, "state": state, "assignee_id": assignee}
    )


def sla_limits(hub: Hub) -> SlaLimits:
    return SlaLimits(hub.settings.queue_warn_seconds, hub.settings.queue_late_seconds)


async def queue(request: web.Request) -> web.Response:
    """Waiting for a human, oldest first; and what this operator holds. Each item carries
    ``unread`` (citizen messages since the last reply) and ``sla`` (ok, warn, late)."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s:
        rows = await s.execute(
            select(Conversation, Contact, ChannelIdentity)
            .join(Contact, Contact.id == Conversation.contact_id)
            .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
            .where(
                or_(
                    Conversation.state == ConversationState.WAITING_HUMAN.value,
                    and_(
                        Conversation.state == ConversationState.HUMAN.value,
                        Conversation.assignee_id.is_not(None),
                    ),
                )
            )
            .order_by(Conversation.waiting_since.asc().nulls_last(), Conversation.id)
            .limit(500)
        )
        found = rows.all()
        unread = await unread_counts(s, [conv.id for conv, _, _ in found])
        sla = sla_limits(hub)
        waiting, mine, others = [], [], []
        for conv, contact, ident in found:
            d = conversation_dict(conv, contact, now, ident, unread=unread.get(conv.id, 0), sla=sla)
            if conv.state == ConversationState.WAITING_HUMAN.value:
                waiting.append(d)
            elif conv.assignee_id == user.id:
                mine.append(d)
            else:
                others.append(d)
    return web.json_response({"waiting": waiting, "mine": mine, "others": others})


async def conversation(request: web.Request) -> web.Response:
    """One conversation with the contact's whole history across channels."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    conv_id = int(request.match_info["id"])
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        loaded = await load_conversation(s, conv_id, now, sla_limits(hub), state_of(request).calendar)
        if loaded is None:
            raise WorkflowError("Không tìm thấy hội thoại", 404)
        conv, body = loaded
        # one row per look: live refreshes of the open conversation repeat no audit row
        await audit_view(
            s,
            request,
            user,
            "view_conversation",
            "conversation",
            conv_id,
            now,
            detail={"contact_id": conv.contact_id},
        )
    return web.json_response(body)


async def take(request: web.Request) -> web.Response:
    """Take over: one operator only (the service's conditional UPDATE), mid-form too."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    conv_id = int(request.match_info["id"])
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        if conv is None:
            raise WorkflowError("Không tìm thấy hội thoại", 404)
        try:
            await conversations.take_over(s, conv, user.id, now)
        except conversations.TransitionRefused as err:
            raise WorkflowError(str(err), 409) from err
        note = await add_note(
            s,
            conv,
            f"{user.full_name or user.username} đã nhận xử lý hội thoại",
            now,
            role=SenderRole.SYSTEM,
            user_id=user.id,
        )
        audit_action(s, request, user, "take_over", "conversation", conv_id, now)
    await publish_messages(hub, [note])
    await _publish_queue(request, conv_id, ConversationState.HUMAN.value, user.id)
    return web.json_response({"ok": True, "conversation_id": conv_id, "assignee_id": user.id})


async def _held(s: AsyncSession, conv_id: int, user: User, *, allow_oversight: bool = True) -> Conversation:
    conv = await s.get(Conversation, conv_id, with_for_update=True)
    if conv is None:
        raise WorkflowError("Không tìm thấy hội thoại", 404)
    if conv.assignee_id != user.id and not (allow_oversight and user.role in {r.value for r in OVERSIGHT}):
        raise WorkflowError("Bạn cần nhận xử lý hội thoại này trước", 409)
    return conv


Writer = Callable[[AsyncSession, Conversation, str, datetime, User], Awaitable[Message]]


async def _post_text(
    request: web.Request, action: str, empty: str, write: Writer, *, held: bool
) -> web.Response:
    """A reply or a note: validate, store in one transaction with its audit record, publish."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    conv_id = int(request.match_info["id"])
    text = str_field(await json_body(request), "text", max_len=4000).strip()
    if not text:
        raise WorkflowError(empty, 400)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        if held:
            conv = await _held(s, conv_id, user, allow_oversight=False)
            if conv.state == ConversationState.CLOSED.value:
                raise WorkflowError("Hội thoại đã đóng", 409)
        else:
            found = await s.get(Conversation, conv_id)
            if found is None:
                raise WorkflowError("Không tìm thấy hội thoại", 404)
            conv = found
        msg = await write(s, conv, text, now, user)
        audit_action(s, request, user, action, "conversation", conv_id, now, detail={"message_id": msg.id})
    await publish_messages(hub, [msg])
    return web.json_response({"ok": True, "message": message_dict(msg)})


async def _write_reply(s: AsyncSession, conv: Conversation, text: str, now: datetime, user: User) -> Message:
    conv.updated_at = now
    return await add_reply(s, conv, text, now, role=SenderRole.OPERATOR, user_id=user.id)


async def _write_note(s: AsyncSession, conv: Conversation, text: str, now: datetime, user: User) -> Message:
    return await add_note(s, conv, text, now, role=SenderRole.OPERATOR, user_id=user.id)


async def reply(request: web.Request) -> web.Response:
    """A reply to the citizen through their channel (the operator must hold the conversation)."""
    return await _post_text(request, "reply", "Nội dung trả lời không được để trống", _write_reply, held=True)


async def note(request: web.Request) -> web.Response:
    """An internal note, never sent to the citizen."""
    return await _post_text(request, "note", "Nội dung ghi chú không được để trống", _write_note, held=False)


Ending = Callable[[AsyncSession, Conversation, datetime], Awaitable[Message | None]]


async def _end_hold(request: web.Request, end: Ending, state: str, action: str, text: str) -> web.Response:
    """Hand back or close (through the conversation service), with a system note and the
    audit record, in one transaction."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    conv_id = int(request.match_info["id"])
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id, with_for_update=True)
        if conv is None:
            raise WorkflowError("Không tìm thấy hội thoại", 404)
        oversight = user.role in {r.value for r in OVERSIGHT}
        if conv.assignee_id not in (None, user.id) and not oversight:
            raise WorkflowError("Hội thoại đang do cán bộ khác xử lý", 409)
        try:
            told = await end(s, conv, now)
        except conversations.TransitionRefused as err:
            raise WorkflowError(str(err), 409) from err
        msg = await add_note(
            s,
            conv,
            f"{user.full_name or user.username}: {text}",
            now,
            role=SenderRole.SYSTEM,
            user_id=user.id,
        )
        audit_action(s, request, user, action, "conversation", conv_id, now)
    await publish_messages(hub, [m for m in (told, msg) if m is not None])
    await _publish_queue(request, conv_id, state, None)
    return web.json_response({"ok": True})


async def _hand_back(s: AsyncSession, conv: Conversation, now: datetime) -> None:
    await conversations.hand_back(s, conv, now)


async def release(request: web.Request) -> web.Response:
    """Hand back to the bot; the dialogue engine is told (failures ignored)."""
    response = await _end_hold(
        request, _hand_back, ConversationState.BOT.value, "hand_back", "trả hội thoại cho trợ lý ảo"
    )
    await hub_of(request).pipeline.resume(int(request.match_info["id"]))
    return response


async def close(request: web.Request) -> web.Response:
    """Close: the citizen is told (a reply through their channel); writing again opens a
    new conversation linked to this one."""
    name = hub_of(request).settings.hotline_name

    async def end(s: AsyncSession, conv: Conversation, now: datetime) -> Message:
        return await conversations.close(s, conv, now, hotline_name=name)

    return await _end_hold(
        request, end, ConversationState.CLOSED.value, "close_conversation", "đóng hội thoại"
    )


async def merge_contacts(request: web.Request) -> web.Response:
    """Merge ``source_id`` into ``target_id`` (same person on two channels)."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    body = await json_body(request)
    source_id = int_value(body.get("source_id"), "source_id", maximum=INT64_MAX)
    target_id = int_value(body.get("target_id"), "target_id", maximum=INT64_MAX)
    if source_id == target_id:
        raise WorkflowError("Hai liên hệ phải khác nhau", 400)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        # lock order everywhere: conversations, then contacts (the pipeline's commit holds a
        # conversation and fills in its contact; taking the contacts first deadlocked there)
        await s.execute(
            select(Conversation.id)
            .where(Conversation.contact_id.in_((source_id, target_id)))
            .order_by(Conversation.id)
            .with_for_update()
        )
        for contact_id in sorted((source_id, target_id)):  # two merges at once: the same order
            await s.get(Contact, contact_id, with_for_update=True)
        source, target = await s.get(Contact, source_id), await s.get(Contact, target_id)
        if source is None or target is None:
            raise WorkflowError("Không tìm thấy liên hệ", 404)
        if source.merged_into_id is not None or target.merged_into_id is not None:
            raise WorkflowError("Liên hệ đã được gộp trước đó", 409)
        for key in ("display_name", "full_name", "phone", "email", "address", "organisation"):
            if getattr(target, key) is None and getattr(source, key) is not None:
                setattr(target, key, getattr(source, key))
        await s.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.contact_id == source_id)
            .values(contact_id=target_id)
        )
        await s.execute(
            update(Conversation).where(Conversation.contact_id == source_id).values(contact_id=target_id)
        )
        await s.execute(update(Ticket).where(Ticket.contact_id == source_id).values(contact_id=target_id))
        source.merged_into_id = target_id
        source.updated_at = target.updated_at = now
        audit_action(
            s, request, user, "merge_contacts", "contact", target_id, now, detail={"source_id": source_id}
        )
    return web.json_response({"ok": True, "contact": contact_dict(target)})


async def contacts_search(request: web.Request) -> web.Response:
    """Find contacts by name/phone/e-mail (for merging)."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    q = request.query.get("q", "").strip()[:100]
    if len(q) < 2:
        return web.json_response({"contacts": []})
    like = f"%{q}%"
    async with hub.sm() as s, s.begin():
        rows = (
            (
                await s.execute(
                    select(Contact)
                    .where(
                        Contact.merged_into_id.is_(None),
                        or_(
                            Contact.full_name.ilike(like),
                            Contact.display_name.ilike(like),
                            Contact.phone.ilike(like),
                            Contact.email.ilike(like),
                        ),
                    )
                    .order_by(Contact.id)
                    .limit(20)
                )
            )
            .scalars()
            .all()
        )
        # which contacts were shown (the access log per contact reads the ids), never the words
        # typed: a name or a phone number would outlive the person's anonymisation (the audit
        # log is append-only)
        shown = {"q_chars": len(q), "contact_ids": [c.id for c in rows]}
        audit_action(s, request, user, "search_contacts", "contact", None, hub.clock.now(), detail=shown)
    return web.json_response({"contacts": [contact_dict(c) for c in rows]})
