"""The monthly report by e-mail (Điều 11.2, 15.5): on the first working day of a month (the
hub's working calendar, ``handoff.calendar``), the previous month's report is made as .xlsx
and mailed to ``HUB_REPORT_EMAILS`` through the e-mail channel's SMTP settings.

Once per month across hub processes: a process claims the month in the hub's state
(``storage.record.state.HubStateStore.compare_and_set``) before sending; the claim expires
after :data:`CLAIM_SECONDS` unless the mail went out (then the month is marked sent), so a
failed send is tried again by the next pass. A hub that was down on the first working day
sends on the next day it runs. Clock-injected: tests move the hub's clock and call
:func:`send_if_due`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from bot.console.report_files import XLSX, period_title, report_xlsx, summary_lines
from bot.hub import Hub
from connectors.base import ChannelNotConfigured, SendError
from connectors.email.office_mail import Attachment, send_office_mail
from connectors.email.settings import EmailSettings
from connectors.email.settings import load as load_email_settings
from handoff.calendar import HOTLINE_TZ, WorkingCalendar
from handoff.report_figures import previous_month
from storage.record.state import HubStateStore

log = logging.getLogger(__name__)

STATE_PREFIX = "monthly-report"
CLAIM_SECONDS = 15 * 60.0
CHECK_SECONDS = 15 * 60.0
SENT = "sent"

Compute = Callable[[Hub, Any, dt.date, dt.date], Awaitable[dict[str, Any]]]


def first_working_day(year: int, month: int, calendar: WorkingCalendar) -> dt.date:
    day = dt.date(year, month, 1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
        if day.month != month:
            return dt.date(year, month, 1)  # a month without working days: its first day
    return day


def email_settings(hub: Hub) -> EmailSettings | None:
    section = hub.settings.channel_sections().get("email")
    if section is None:
        return None
    try:
        return load_email_settings(section)
    except ChannelNotConfigured as err:
        log.warning("monthly report: no SMTP settings (%s)", err)
        return None


async def send_if_due(
    hub: Hub, calendar: WorkingCalendar, compute: Compute, smtp: EmailSettings | None = None
) -> str | None:
    """Send the previous month's report if today (the hub's clock, in Việt Nam) is on or after
    this month's first working day and no process sent it yet. The month sent ("YYYY-MM") or None."""
    recipients = hub.settings.report_emails
    if not recipients:
        return None
    today = hub.clock.now().astimezone(HOTLINE_TZ).date()
    if today < first_working_day(today.year, today.month, calendar):
        return None
    start, end = previous_month(today)
    month = f"{start:%Y-%m}"
    store = HubStateStore(hub.sm, hub.clock, STATE_PREFIX)
    if await store.get(month) is not None:
        return None  # sent, or being sent by another process
    smtp = smtp or email_settings(hub)
    if smtp is None:
        return None
    claim = f"claimed:{secrets.token_hex(8)}"
    if not await store.compare_and_set(month, None, claim, ttl=CLAIM_SECONDS):
        return None
    figs = await compute(hub, calendar, start, end)
    title = period_title(start, end)
    text = "\n".join(
        [
            f"{title} (tháng {start:%m/%Y}).",
            "",
            *(f"- {k}: {v}" for k, v in summary_lines(figs)),
            "",
            "Chi tiết theo đơn vị và lĩnh vực: tệp .xlsx đính kèm.",
            hub.settings.hotline_name,
        ]
    )
    attachment = Attachment(f"bao-cao-1022-{month}.xlsx", XLSX, report_xlsx(figs, start, end))
    try:
        await send_office_mail(
            smtp,
            recipients,
            f"[{hub.settings.hotline_name}] Báo cáo tháng {start:%m/%Y}",
            text,
            now=hub.clock.now(),
            attachments=[attachment],
        )
    except SendError:
        log.exception("monthly report %s: sending failed; tried again after the claim expires", month)
        return None
    await store.set(month, SENT)
    log.info("monthly report %s sent to %s", month, ", ".join(recipients))
    return month


async def worker(hub: Hub, calendar: WorkingCalendar, compute: Compute, every: float = CHECK_SECONDS) -> None:
    """The periodic pass, in every hub process (the state keeps it to one mail a month)."""
    while True:
        try:
            await send_if_due(hub, calendar, compute)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("monthly report check failed; retrying")
        await asyncio.sleep(every)
