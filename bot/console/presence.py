"""The operator's typing indicator: shown to the citizen through their channel where the
channel has one (``Connector.typing``), and told to the conversation's live viewers."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import select

from bot.console.core import STAFF, hub_of, json_body, require
from bot.events import conversation_topic
from connectors.base import Connector
from handoff.workflow import WorkflowError
from storage.models import ChannelIdentity, Conversation, ConversationState

log = logging.getLogger(__name__)

TYPING_TIMEOUT = 5.0  # seconds a channel's typing call may take; then it is given up


def has_typing(connector: Connector) -> bool:
    """The connector shows a typing indicator (it overrides the contract's no-op)."""
    return type(connector).typing is not Connector.typing


async def typing(request: web.Request) -> web.Response:
    """``POST /console/api/conversations/{id}/typing`` ``{"on": true|false}`` by the operator
    holding the conversation: ``{"ok": true, "sent": bool}``; ``sent`` is false where the
    channel has no typing indicator or its call failed (logged, never an error)."""
    user = require(request, *STAFF)
    hub = hub_of(request)
    conv_id = int(request.match_info["id"])
    on = (await json_body(request)).get("on", True)
    if not isinstance(on, bool):
        raise WorkflowError("Trường on phải là true hoặc false", 400)
    async with hub.sm() as s:  # read, then leave the database before the channel is called
        found = (
            await s.execute(
                select(Conversation, ChannelIdentity.external_id)
                .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
                .where(Conversation.id == conv_id)
            )
        ).first()
    if found is None:
        raise WorkflowError("Không tìm thấy hội thoại", 404)
    conv, external_id = found
    if conv.assignee_id != user.id or conv.state != ConversationState.HUMAN.value:
        raise WorkflowError("Bạn cần nhận xử lý hội thoại này trước", 409)
    await hub.bus.publish(
        conversation_topic(conv_id), {"type": "typing", "conversation_id": conv_id, "on": on}
    )
    connector = hub.registry.get(conv.channel) if conv.channel in hub.registry else None
    if connector is None or not has_typing(connector):
        return web.json_response({"ok": True, "sent": False})
    try:
        await asyncio.wait_for(connector.typing(external_id, on), TYPING_TIMEOUT)
    except Exception as err:  # a vendor's trouble: the operator's reply matters, not the dots
        log.warning("typing on %s for conversation %s failed: %r", conv.channel, conv_id, err)
        return web.json_response({"ok": True, "sent": False})
    return web.json_response({"ok": True, "sent": True})
