"""The hub's greeting, as a stored bot message: web chat on open, Zalo on follow.

The words are the policy's (:func:`actions.texts.greeting`); this module gives them the
hotline's name and domains and the stored meta of a bot reply (``buttons`` as
``{"title", "payload"}``, ``act``, ``engine``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.common import DEFAULT_SCOPE
from actions.dialogue import Reply
from actions.services import HotlineInfo
from actions.texts import greeting
from bot.apply_result import buttons_meta
from bot.config import Settings
from storage.models_console import Domain
from storage.record.conversations import BotReply, GreetingSource

GREET_ACT = "greet"


async def hotline_info(s: AsyncSession, name: str, phone: str = "") -> HotlineInfo:
    """The hotline's name, phone numbers and the domains it answers (the active ones)."""
    names = tuple(
        (
            await s.execute(select(Domain.name).where(Domain.active.is_(True)).order_by(Domain.position))
        ).scalars()
    )
    return HotlineInfo(name, names or DEFAULT_SCOPE, phone=phone)


def bot_reply(reply: Reply, *, act: str) -> BotReply:
    """A policy reply as a stored bot message."""
    meta: dict[str, object] = {"act": act, "engine": "hub"}
    if reply.buttons:
        meta["buttons"] = buttons_meta(reply.buttons)
    return BotReply(reply.text, meta)


def greeting_source(settings: Settings) -> GreetingSource:
    """The greeting of this hub's hotline, built in the caller's session."""

    async def build(s: AsyncSession) -> BotReply:
        info = await hotline_info(s, settings.hotline_name, settings.hotline_phone)
        return bot_reply(greeting(info), act=GREET_ACT)

    return build
