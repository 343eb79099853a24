"""A worker's breach clock (issue 18): every ``HUB_BREACH_CHECK_SECONDS`` (default 60) it looks
at the open personal-data breaches with the hub's clock; :func:`privacy.breaches.check_clock`
stores, exactly once each, the 48-hour reminder and the 72-hour overdue notice for supervisors
and admins, and this module shows them live on their consoles and mails them to the supervisors
and admins who have an e-mail address and want notices (``email_notices``), through the e-mail
channel's SMTP settings when that channel is configured. A mail is tried once: the console
notice is the record, a mail server's refusal is logged."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import select

from bot.console.agency_mail import email_settings
from bot.console.core import NOTICES_TOPIC, notification_event
from bot.hub import HUB, Hub
from connectors.base import SendError
from connectors.email.office_mail import send_office_mail
from privacy import breach_clock, breaches
from storage.models_console import Role, User

log = logging.getLogger(__name__)


async def check_once(hub: Hub) -> int:
    """One look at the clock: the notices stored and published (0 when none were due)."""
    async with hub.sm() as s, s.begin():
        notes = await breaches.check_clock(s, hub.clock.now())
        events = [notification_event(n) for n in notes]
        mails = [(n.id, n.text) for n in notes]
    for event in events:
        await hub.bus.publish(NOTICES_TOPIC, event)
    if events:
        log.info("breach clock: %d notice(s)", len(events))
        await mail_notices(hub, mails)
    return len(events)


async def _recipients(hub: Hub) -> list[str]:
    async with hub.sm() as s:
        rows = await s.execute(
            select(User.email).where(
                User.role.in_([Role.SUPERVISOR.value, Role.ADMIN.value]),
                User.active.is_(True),
                User.email.is_not(None),
                User.email_notices.is_(True),
            )
        )
        return sorted({e for e in rows.scalars() if e})


async def mail_notices(hub: Hub, notices: list[tuple[int, str]]) -> int:
    """Mail each notice (id, text) to the supervisors and admins who want notices; the mails sent."""
    smtp = email_settings(hub)
    to = await _recipients(hub) if smtp is not None else []
    if smtp is None or not to:
        return 0
    link = f"{hub.settings.public_url.rstrip('/')}/console/"
    sent = 0
    for notice_id, text in notices:
        body = f"{text}.\n\nSổ theo dõi vi phạm dữ liệu cá nhân: {link}\n{hub.settings.hotline_name}"
        try:
            await send_office_mail(
                smtp,
                to,
                f"[{hub.settings.hotline_name}] {text}",
                body,
                now=hub.clock.now(),
                key=f"breach-notice:{notice_id}",
            )
            sent += 1
        except SendError:
            log.exception("breach notice %d: the mail was not sent (the console shows it)", notice_id)
    return sent


async def _loop(hub: Hub, interval: float) -> None:
    while True:
        try:
            await check_once(hub)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("breach clock check failed; retrying")
        await asyncio.sleep(interval)


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    cfg = breach_clock.load(hub.settings.env, hub.settings.hotline_name)
    task = hub.spawn(_loop(hub, cfg.check_seconds))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
