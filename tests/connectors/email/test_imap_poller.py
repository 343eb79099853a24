"""The IMAP poller against a real Dovecot on loopback (and mail arriving by real SMTP)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

from connectors.base import EventKind, InboundMessage
from connectors.email.imap_poller import Cursor, backoff_delay, parse_fetch
from devtools.clock import FakeClock
from devtools.dovecot import DovecotServer
from devtools.smtp import SmtpServer, send_raw
from tests.connectors.fakestate import MemoryStateStore

from .conftest import HOTLINE, Inbox, email_settings, payload, wait_until

pytestmark = pytest.mark.dovecot

CURSOR_KEY = "email:cursor:hotline@127.0.0.1/INBOX"


def citizen_mail(n: int, subject: str = "Hỏi về thủ tục") -> bytes:
    return (
        f"From: Nguyễn Văn A <nguyen.van.a@example.vn>\r\nTo: {HOTLINE}\r\n"
        f"Subject: {subject} {n}\r\nMessage-ID: <citizen-{n}@example.vn>\r\n"
        "Date: Mon, 23 Nov 2026 08:15:00 +0700\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Nội dung thư số {n}.\r\n"
    ).encode()


def settings_for(dovecot: DovecotServer, smtp_port: int = 1, **overrides: Any) -> dict[str, Any]:
    return email_settings(dovecot.port, smtp_port, **overrides)


async def test_mail_sent_by_smtp_is_delivered_exactly_once(
    dovecot: DovecotServer, smtp: SmtpServer, make_connector: Any
) -> None:
    await send_raw(smtp, citizen_mail(1), "nguyen.van.a@example.vn", [HOTLINE])
    assert dovecot.uids("hotline") == [1]  # the citizen's mail reached the mailbox

    state = MemoryStateStore()
    inbox = Inbox()
    first = make_connector(settings_for(dovecot, smtp.port), state)
    await first.start(inbox)
    (msg,) = await inbox.wait_for(1)
    assert msg.channel_message_id == "<citizen-1@example.vn>"
    assert msg.kind is EventKind.MESSAGE and msg.text == "Nội dung thư số 1."
    assert msg.raw["imap_uid"] == 1 and msg.raw["uidvalidity"] == first.poller.uidvalidity
    assert msg.raw["to"] == [HOTLINE]
    cursor = Cursor.load(state.values[CURSOR_KEY])
    assert cursor == Cursor(first.poller.uidvalidity, 1)
    # BODY.PEEK[]: the mailbox is untouched, the message is still unseen
    assert "\\Seen" not in dovecot.flags("hotline", 1)
    await first.stop()

    # a restarted poller (same state) delivers nothing again; the server answers
    # "UID 2:*" with UID 1 — the N:* edge case — and the poller filters it out
    second = make_connector(settings_for(dovecot, smtp.port), state)
    await second.start(inbox)
    await wait_until(lambda: second.poller.syncs >= 1, what="a sync of the restarted poller")
    assert dovecot.uids("hotline", criteria="UID 2:*") == [1]
    assert len(inbox.messages) == 1

    # new mail after the restart: exactly that one arrives
    await send_raw(smtp, citizen_mail(2), "nguyen.van.a@example.vn", [HOTLINE])
    messages = await inbox.wait_for(2)
    assert [m.channel_message_id for m in messages] == ["<citizen-1@example.vn>", "<citizen-2@example.vn>"]
    assert Cursor.load(state.values[CURSOR_KEY]) == Cursor(second.poller.uidvalidity, 2)


async def test_idle_wakes_the_poller(dovecot: DovecotServer, make_connector: Any) -> None:
    # a 10-minute lock slice and a 10-minute IDLE: only the server's push can wake it
    connector = make_connector(settings_for(dovecot, lock_ttl=1200, imap_idle_timeout=600))
    inbox = Inbox()
    await connector.start(inbox)
    await wait_until(lambda: connector.poller.syncs >= 1, what="first sync")
    assert connector.poller.idle_supported is True
    await wait_until(
        lambda: connector.poller.client is not None and connector.poller.client.has_pending_idle()
    )
    started = time.monotonic()
    dovecot.append("hotline", citizen_mail(7))
    (msg,) = await inbox.wait_for(1, timeout=8)
    assert msg.channel_message_id == "<citizen-7@example.vn>"
    assert time.monotonic() - started < 8


async def test_polling_when_the_server_has_no_idle(
    dovecot_no_idle: DovecotServer, make_connector: Any
) -> None:
    clock = FakeClock(pause=0.02)  # each sleep lets the loop run; no real waiting
    connector = make_connector(settings_for(dovecot_no_idle, imap_poll_interval=45), clock=clock)
    inbox = Inbox()
    await connector.start(inbox)
    await wait_until(lambda: connector.poller.syncs >= 1, what="first sync")
    assert connector.poller.idle_supported is False
    dovecot_no_idle.append("hotline", citizen_mail(3))
    (msg,) = await inbox.wait_for(1)
    assert msg.channel_message_id == "<citizen-3@example.vn>"
    assert 45.0 in clock.sleeps  # it waited the poll interval (moved time, not real time)


async def test_first_start_and_uidvalidity_change_resync_recent_mail(
    dovecot: DovecotServer, make_connector: Any
) -> None:
    month_ago = time.time() - 30 * 86400
    dovecot.append("hotline", citizen_mail(100, "Thư cũ"), when=month_ago)
    dovecot.append("hotline", citizen_mail(1))
    dovecot.append("hotline", citizen_mail(2))
    state = MemoryStateStore()
    inbox = Inbox()
    first = make_connector(settings_for(dovecot), state)
    await first.start(inbox)
    # first start: the last 7 days only, the month-old mail is not imported
    await inbox.wait_for(2)
    await wait_until(lambda: first.poller.syncs >= 1)
    assert [m.channel_message_id for m in inbox.messages] == [
        "<citizen-1@example.vn>",
        "<citizen-2@example.vn>",
    ]
    old_validity = first.poller.uidvalidity
    assert Cursor.load(state.values[CURSOR_KEY]) == Cursor(old_validity, 3)
    await first.stop()

    dovecot.reset_uidvalidity("hotline")  # e.g. the mailbox was migrated
    dovecot.append("hotline", citizen_mail(3))
    second = make_connector(settings_for(dovecot), state)
    await second.start(inbox)
    await inbox.wait_for(5)
    await wait_until(lambda: second.poller.syncs >= 1)
    assert second.poller.uidvalidity != old_validity
    again = sorted(str(m.channel_message_id) for m in inbox.messages[2:])
    # recent mail comes again with the same Message-IDs (the hub drops duplicates), plus the new one
    assert again == ["<citizen-1@example.vn>", "<citizen-2@example.vn>", "<citizen-3@example.vn>"]
    assert Cursor.load(state.values[CURSOR_KEY]) == Cursor(second.poller.uidvalidity, 4)


async def test_cursor_moves_only_after_deliver_returns(dovecot: DovecotServer, make_connector: Any) -> None:
    clock = FakeClock(pause=0.02)  # each sleep lets the loop run; no real waiting
    state = MemoryStateStore()
    dovecot.append("hotline", citizen_mail(1))
    connector = make_connector(settings_for(dovecot), state, clock=clock, rng=lambda: 1.0)
    state.values[CURSOR_KEY] = "0:0"  # a stale cursor: forces the resync path too
    inbox = Inbox(fail_times=2)  # the hub's database is down twice
    cursor_at_call: list[str | None] = []

    async def deliver(batch: Sequence[InboundMessage]) -> None:
        cursor_at_call.append(state.values.get(CURSOR_KEY))
        await inbox(batch)

    await connector.start(deliver)
    (msg,) = await inbox.wait_for(1)
    assert inbox.calls == 3 and msg.channel_message_id == "<citizen-1@example.vn>"
    # while deliver failed, the cursor did not move past the message
    assert cursor_at_call == ["0:0", "0:0", "0:0"]
    assert clock.sleeps[:2] == [1.0, 2.0]  # backoff 1 s, 2 s (rng=1.0 → the full interval)
    await wait_until(
        lambda: Cursor.load(state.values.get(CURSOR_KEY)) == Cursor(connector.poller.uidvalidity, 1)
    )
    assert connector.poller.failures == 0
    assert connector.poller.errors[0].startswith("RuntimeError: database unavailable")


async def test_reconnects_with_backoff_after_the_server_goes_away(
    dovecot: DovecotServer, make_connector: Any
) -> None:
    clock = FakeClock(pause=0.02)  # each sleep lets the loop run; no real waiting
    connector = make_connector(settings_for(dovecot, lock_ttl=2), clock=clock, rng=lambda: 0.5)
    inbox = Inbox()
    await connector.start(inbox)
    await wait_until(lambda: connector.poller.syncs >= 1)
    dovecot.stop()
    await wait_until(lambda: connector.poller.failures >= 3, what="three failed reconnects")
    backoffs = [s for s in clock.sleeps if s not in (0.0,)]
    assert backoffs[:3] == [0.75, 1.5, 3.0]  # equal jitter with rng=0.5: 3/4 of 1, 2, 4 s
    dovecot.start()
    dovecot.append("hotline", citizen_mail(9))
    (msg,) = await inbox.wait_for(1, timeout=20)
    assert msg.channel_message_id == "<citizen-9@example.vn>"
    assert connector.poller.failures == 0


async def test_two_pollers_on_one_mailbox_only_one_polls(
    dovecot: DovecotServer, smtp: SmtpServer, make_connector: Any
) -> None:
    state = MemoryStateStore()  # shared, like the hub's Redis/database lock
    inbox = Inbox()
    a = make_connector(settings_for(dovecot, smtp.port, lock_ttl=2, lock_retry=0.2), state)
    b = make_connector(settings_for(dovecot, smtp.port, lock_ttl=2, lock_retry=0.2), state)
    await a.start(inbox)
    await b.start(inbox)
    for n in range(1, 6):
        await send_raw(smtp, citizen_mail(n), "nguyen.van.a@example.vn", [HOTLINE])
    await inbox.wait_for(5)
    await wait_until(
        lambda: any(not ok for _, ok in state.lock_log), what="the second worker refused the lock"
    )
    leaders = [c for c in (a, b) if c.poller.is_leader]
    assert len(leaders) == 1
    standby = b if leaders[0] is a else a
    assert standby.poller.client is None  # the stand-by holds no IMAP connection
    ids = [str(m.channel_message_id) for m in inbox.messages]
    assert sorted(ids) == sorted(f"<citizen-{n}@example.vn>" for n in range(1, 6))  # each exactly once

    # the leader goes away: the stand-by takes over and goes on from the stored cursor
    await leaders[0].stop()
    await send_raw(smtp, citizen_mail(6), "nguyen.van.a@example.vn", [HOTLINE])
    await inbox.wait_for(6, timeout=15)
    assert standby.poller.is_leader
    assert [m.channel_message_id for m in inbox.messages].count("<citizen-6@example.vn>") == 1
    assert len(inbox.messages) == 6


async def test_big_and_unparseable_messages_are_delivered_not_lost(
    dovecot: DovecotServer, make_connector: Any
) -> None:
    big = citizen_mail(1).replace(b"Content-Type", b"X-Pad: x\r\nContent-Type") + b"A" * 20_000 + b"\r\n"
    dovecot.append("hotline", big)
    dovecot.append("hotline", b"Subject: no sender at all\r\n\r\nhello\r\n")
    dovecot.append("hotline", payload("bounce_mailer_daemon.eml"))
    inbox = Inbox()
    connector = make_connector(settings_for(dovecot, max_message_bytes=10_000))
    await connector.start(inbox)
    first, second, third = await inbox.wait_for(3)
    assert first.raw["body_omitted"] is True and first.raw["size"] > 20_000
    assert first.channel_message_id == "<citizen-1@example.vn>" and first.subject == "Hỏi về thủ tục 1"
    assert "quá lớn" in first.raw["reason"]
    assert second.kind is EventKind.UNKNOWN and second.auto_generated
    assert "người gửi" in second.raw["error"]
    assert second.attachments[0].data is not None and b"no sender at all" in second.attachments[0].data
    assert third.auto_generated and third.external_user_id == "mailer-daemon@mail.thanhhoa.example"


def test_backoff_delay_bounds() -> None:
    assert backoff_delay(1, rng=lambda: 0.0) == 0.5
    assert backoff_delay(1, rng=lambda: 1.0) == 1.0
    assert backoff_delay(4, rng=lambda: 0.0) == 4.0
    assert backoff_delay(30, cap=300, rng=lambda: 1.0) == 300.0
    assert 150 <= backoff_delay(30, cap=300) <= 300


def test_parse_fetch_uid_before_or_after_literal() -> None:
    lines: list[bytes | bytearray] = [
        b"1 FETCH (UID 5 RFC822.SIZE 10 BODY[] {3}",
        bytearray(b"abc"),
        b")",
        b"2 FETCH (BODY[] {2}",
        bytearray(b"de"),
        b" UID 9)",
        b"3 FETCH (UID 11 RFC822.SIZE 77)",
        b"Fetch completed.",
    ]
    assert parse_fetch(lines) == {5: (10, b"abc"), 9: (None, b"de"), 11: (77, None)}
