"""Agency notices by e-mail: a forwarded ticket, an assignment by the supervisor, an urgent
mark, a deadline approaching and a deadline passed each reach the agency's officers by mail.

The queue is the console's own notices (``console_notifications`` of the agency role, kinds
:data:`MAIL_KINDS`), written by the workflow in its transaction and by the deadline scan; the
workflow never waits for a mail server. :func:`send_agency_notices` runs after every deadline
scan (each hub worker) and right after a console action that wrote such a notice. Each
(notice, officer) pair is claimed in ``channel_state`` before its mail goes out (a
compare-and-set insert: of two workers one wins), marked sent after, and released for the
next pass when the server is unreachable (a 4xx or no connection); a refused address is
logged and not tried again. A worker that dies between the claim and the "sent" mark
leaves a claim that runs out after :data:`CLAIM_SECONDS`; the next pass then sends that
mail (a second time, if the dead worker had sent it): at least once, never lost.

Recipients: active agency officers of the notice's agency with an e-mail address and
``email_notices`` on (their choice on the account page). The mail names the ticket code,
what happened and the deadline, with a link to the ticket in the console; never the
citizen's data or request (those stay behind the console's login).
Sent through the e-mail channel's SMTP settings (``credentials.yml`` section ``email``);
without that channel nothing is sent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from connectors.base import PermanentSendError, TransientSendError
from connectors.email import EmailConnector
from connectors.email.office_mail import send_office_mail
from connectors.email.settings import EmailSettings
from handoff.notify import format_time
from storage.clock import as_utc
from storage.models import ChannelState, Ticket
from storage.models_console import Notification, Role, TicketTrack, User
from storage.record.state import HubStateStore

if TYPE_CHECKING:
    from bot.hub import Hub

log = logging.getLogger(__name__)

# the agency notices that are mailed, and what the mail's subject says of each
MAIL_KINDS: dict[str, str] = {
    "forwarded": "phiếu mới chuyển tới đơn vị",
    "assigned": "Sở TT&TT giao phiếu cho đơn vị",
    "urgent": "phiếu được đánh dấu khẩn",
    "approaching": "sắp đến hạn trả lời",
    "overdue": "đã quá hạn trả lời",
}
PREFIX = "agency_mail"  # channel_state keys: agency_mail:<notice id>:<user id>
LOOKBACK = timedelta(days=3)  # notices older than this are not mailed any more
CLAIM_SECONDS = 600.0
SENT_SECONDS = 14 * 86400.0  # longer than LOOKBACK: a sent mark outlives its notice's turn
CLAIMED, SENT = "claimed", "sent"


def email_settings(hub: Hub) -> EmailSettings | None:
    """The e-mail channel's settings, when that channel is configured."""
    return next((c.settings for c in hub.registry if isinstance(c, EmailConnector)), None)


def ticket_link(public_url: str, ticket_id: int) -> str:
    """The console opens the ticket from this address (``start.js`` reads the hash)."""
    return f"{public_url.rstrip('/')}/console/#ticket={ticket_id}"


def mail_text(
    hotline: str, public_url: str, user: User, note: Notification, ticket: Ticket, urgent: bool
) -> tuple[str, str]:
    """Subject and body (Vietnamese) of one notice to one officer."""
    mark = "KHẨN - " if urgent else ""
    subject = f"[{hotline}] {mark}Phiếu {ticket.code}: {MAIL_KINDS.get(note.kind, note.kind)}"
    due = as_utc(ticket.due_at)
    lines = [
        f"Kính gửi {user.full_name or user.username},",
        "",
        f"{hotline} thông báo: {note.text}",
        "",
        f"Mã phiếu: {ticket.code}" + (" (KHẨN, Điều 13.2)" if urgent else ""),
        f"Đơn vị xử lý: {ticket.agency or ''}",
        f"Hạn trả lời: {format_time(due) if due else 'không có'}",
        f"Xem và xử lý phiếu: {ticket_link(public_url, ticket.id)}",
        "",
        f"Thư gửi tự động từ phần mềm {hotline}; vui lòng không trả lời thư này.",
        'Để thôi nhận thư thông báo, bỏ chọn "Nhận thông báo qua e-mail" ở mục Tài khoản '
        "trong bảng điều khiển.",
    ]
    return subject, "\n".join(lines)


async def _pending(hub: Hub) -> list[tuple[Notification, Ticket, bool, User]]:
    """(notice, ticket, urgent, officer) pairs still to mail: urgent tickets first, then oldest."""
    now = hub.clock.now()
    async with hub.sm() as s:
        rows = (
            await s.execute(
                select(Notification, Ticket, TicketTrack.urgent)
                .join(Ticket, Ticket.id == Notification.ticket_id)
                .join(TicketTrack, TicketTrack.ticket_id == Ticket.id)
                .where(
                    Notification.role == Role.AGENCY.value,
                    Notification.kind.in_(list(MAIL_KINDS)),
                    Notification.agency_id.is_not(None),
                    Notification.created_at >= now - LOOKBACK,
                )
                .order_by(TicketTrack.urgent.desc(), Notification.id)
            )
        ).all()
        if not rows:
            return []
        agencies = sorted({n.agency_id for n, _, _ in rows if n.agency_id is not None})
        officers: dict[int, list[User]] = defaultdict(list)
        for user in (
            await s.execute(
                select(User)
                .where(
                    User.role == Role.AGENCY.value,
                    User.active.is_(True),
                    User.email_notices.is_(True),
                    User.email.is_not(None),
                    User.email != "",
                    User.agency_id.in_(agencies),
                )
                .order_by(User.id)
            )
        ).scalars():
            assert user.agency_id is not None
            officers[user.agency_id].append(user)
        done = set(
            (
                await s.execute(
                    select(ChannelState.key).where(
                        ChannelState.key.like(f"{PREFIX}:%"),
                        or_(ChannelState.expires_at.is_(None), ChannelState.expires_at > now),
                    )
                )
            ).scalars()
        )
    return [
        (n, t, bool(urgent), u)
        for n, t, urgent in rows
        for u in officers.get(n.agency_id or 0, [])
        if f"{PREFIX}:{n.id}:{u.id}" not in done
    ]


async def send_agency_notices(hub: Hub, settings: EmailSettings | None = None) -> int:
    """One pass over the agency notices not yet mailed; how many mails went out. Safe to run
    in every worker at once and again at any time."""
    settings = settings or email_settings(hub)
    if settings is None:
        return 0
    store = HubStateStore(hub.sm, hub.clock, PREFIX, hub.redis)
    hotline, public_url = hub.settings.hotline_name, hub.settings.public_url
    sent = 0
    for note, ticket, urgent, user in await _pending(hub):
        key = f"{note.id}:{user.id}"
        if not await store.compare_and_set(key, None, CLAIMED, ttl=CLAIM_SECONDS):
            continue  # another worker has it, or it went out
        subject, body = mail_text(hotline, public_url, user, note, ticket, urgent)
        try:
            await send_office_mail(
                settings,
                [user.email or ""],
                subject,
                body,
                now=hub.clock.now(),
                key=f"agency-notice-{note.id}",
            )
        except TransientSendError as err:
            log.warning("agency notice %s to user %s: %s; trying again later", note.id, user.id, err)
            await store.compare_and_set(key, CLAIMED, "retry", ttl=0.0)  # released: expired at once
            break  # the server is down or busy: the next pass tries the rest
        except PermanentSendError as err:
            log.warning("agency notice %s to user %s refused: %s", note.id, user.id, err)
            await store.compare_and_set(key, CLAIMED, "refused", ttl=SENT_SECONDS)
            continue
        await store.compare_and_set(key, CLAIMED, SENT, ttl=SENT_SECONDS)
        sent += 1
    return sent
