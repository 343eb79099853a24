"""The hub's greeting, as a stored bot message: web chat on open, Zalo on follow.

The words are the policy's (:func:`actions.texts.greeting`), followed by the short privacy
notice (:func:`privacy.notice.short_notice`, told once per channel identity: the policy adds
it to a first contact's replies, this greeting opens a web chat or answers a Zalo follow);
this module gives them the hotline's name and domains and the stored meta of a bot reply (``buttons`` as
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
from privacy.notice import short_notice
from storage.models_console import Domain
from storage.record.conversations import BotReply, GreetingSource

GREET_ACT = "greet"


def privacy_notice(settings: Settings) -> str:
    """The short privacy notice of this hub (its name, the link to its public page)."""
    return short_notice(settings.hotline_name, settings.public_url)


async def hotline_info(s: AsyncSession, name: str, phone: str = "", notice: str = "") -> HotlineInfo:
    """The hotline's name, phone numbers, the domains it answers (the active ones) and the
    privacy notice told at a first contact."""
    names = tuple(
        (
            await s.execute(select(Domain.name).where(Domain.active.is_(True)).order_by(Domain.position))
        ).scalars()
    )
    return HotlineInfo(name, names or DEFAULT_SCOPE, phone=phone, privacy_notice=notice)


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
        reply = bot_reply(greeting(info), act=GREET_ACT)
        return BotReply(f"{reply.text}\n\n{privacy_notice(settings)}", reply.meta)

    return build
