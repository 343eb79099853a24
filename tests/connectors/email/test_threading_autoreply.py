"""Threading helpers, RFC 3834 limiter and settings validation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from connectors.base import ChannelNotConfigured
from connectors.email import create
from connectors.email.autoreply import limiter_key, may_auto_reply
from connectors.email.settings import load as load_settings
from connectors.email.threading import (
    bracketed,
    message_ids,
    reply_lookup_ids,
    reply_subject,
    strip_reply_prefixes,
    ticket_code_from_subject,
)
from connectors.registry import ConnectorContext, ConnectorRegistry
from tests.connectors.fakestate import MemoryStateStore

from .conftest import email_settings


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        ("[1022-2026-000123] Hỏi về thủ tục", "1022-2026-000123"),
        ("Re: RE: [1022-2026-000123] Hỏi", "1022-2026-000123"),
        ("Bổ sung cho phiếu 1022-2026-000124 nhé", "1022-2026-000124"),
        ("[TD1022-2025-999999]", "TD1022-2025-999999"),
        ("số 0912-3456-789012 và [1022-2026-000125]", "1022-2026-000125"),  # bracketed wins
        ("Hỏi về 2026-000123", None),
        ("[1022-2026-00012] thiếu số", None),
        ("x1022-2026-0001234", None),
        ("", None),
        (None, None),
    ],
)
def test_ticket_code_from_subject(subject: str | None, code: str | None) -> None:
    assert ticket_code_from_subject(subject) == code


def test_ticket_code_custom_pattern() -> None:
    pattern = r"\[(?P<code>PA-\d{5})\]"
    assert ticket_code_from_subject("Re: [PA-12345] đèn hỏng", pattern) == "PA-12345"
    assert ticket_code_from_subject("Re: [1022-2026-000123]", pattern) is None
    assert ticket_code_from_subject("Mã HS-77", r"HS-(\d+)") == "77"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hỏi về thủ tục", "Re: Hỏi về thủ tục"),
        ("Re: Hỏi", "Re: Hỏi"),
        ("RE: re: Fwd: FW: Hỏi", "Re: Hỏi"),
        ("Re[2]: Hỏi", "Re: Hỏi"),
        ("TL: Trả lời: Hỏi", "Re: TL: Trả lời: Hỏi"),  # "TL" is no known prefix
        ("Trả lời: Hỏi", "Re: Hỏi"),
        ("Tr: Hỏi", "Re: Hỏi"),
        ("AW: SV: Hỏi", "Re: Hỏi"),
        ("   ", "Re: Phản hồi"),
        (None, "Re: Phản hồi"),
        ("Regarding the road", "Re: Regarding the road"),  # "Re" inside a word is not a prefix
    ],
)
def test_reply_subject_has_exactly_one_re(subject: str | None, expected: str) -> None:
    assert reply_subject(subject, default="Phản hồi") == expected


def test_reply_subject_keeps_or_adds_ticket_code() -> None:
    assert reply_subject("Re: [1022-2026-000123] Hỏi", ticket_code="1022-2026-000123") == (
        "Re: [1022-2026-000123] Hỏi"
    )
    assert reply_subject("Hỏi", ticket_code="1022-2026-000123") == "Re: [1022-2026-000123] Hỏi"
    assert strip_reply_prefixes("Fwd: Re: x") == "x"


def test_message_id_helpers() -> None:
    assert message_ids("<a@b> <c@d>\r\n\t<a@b>") == ["<a@b>", "<c@d>"]
    assert message_ids("c@d") == ["<c@d>"]
    assert message_ids("garbage") == []
    assert message_ids(None) == []
    assert bracketed("x@y") == "<x@y>" and bracketed("<x@y>") == "<x@y>"
    assert reply_lookup_ids(["<p@x>"], ["<root@x>", "<mid@x>", "<p@x>"]) == ("<p@x>", "<mid@x>", "<root@x>")


def test_auto_reply_limiter_one_per_day() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert may_auto_reply("a@x.vn", 7, None, now) is True
    assert may_auto_reply("a@x.vn", 7, now - timedelta(hours=23, minutes=59), now) is False
    assert may_auto_reply("a@x.vn", 7, now - timedelta(days=1), now) is True
    assert may_auto_reply("a@x.vn", 7, now, now) is False
    assert may_auto_reply("a@x.vn", 7, now - timedelta(hours=2), now, window=timedelta(hours=1)) is True
    assert limiter_key("A@X.vn ", 7) == "email:auto-reply:7:a@x.vn"
    assert limiter_key("a@x.vn", 7) != limiter_key("a@x.vn", 8)


def _ctx(session: aiohttp.ClientSession, settings: dict[str, object]) -> ConnectorContext:
    return ConnectorContext(session=session, state=MemoryStateStore(), settings=settings, clock=time.time)


async def test_create_names_missing_variables_in_vietnamese(http_session: aiohttp.ClientSession) -> None:
    with pytest.raises(ChannelNotConfigured) as info:
        create(_ctx(http_session, {"address": "", "imap_host": None, "imap_port": "993", "smtp_host": "x"}))
    reason = str(info.value)
    assert reason.startswith("Kênh e-mail tắt: thiếu biến môi trường")
    for var in ("EMAIL_ADDRESS", "EMAIL_IMAP_HOST", "EMAIL_IMAP_USER", "EMAIL_IMAP_PASSWORD"):
        assert var in reason
    assert "EMAIL_SMTP_HOST" not in reason


async def test_registry_records_email_as_disabled(http_session: aiohttp.ClientSession) -> None:
    reg = ConnectorRegistry.build({"email": {"address": ""}}, lambda name, s: _ctx(http_session, dict(s)))
    assert "email" not in reg and "EMAIL_ADDRESS" in reg.disabled["email"]


async def test_settings_parse_strings(http_session: aiohttp.ClientSession) -> None:
    connector = create(_ctx(http_session, email_settings(1143, 2525, imap_ssl="TRUE", smtp_starttls="no")))
    s = connector.settings
    assert (s.imap_port, s.smtp_port, s.imap_ssl, s.smtp_starttls, s.smtp_ssl) == (
        1143,
        2525,
        True,
        False,
        False,
    )
    assert s.smtp_user is None and s.domain == "hotline.test" and s.imap_mailbox == "INBOX"
    assert connector.poller.lock_name == "email-poller:hotline@127.0.0.1/INBOX"
    assert load_settings({**email_settings(1, 465), "smtp_starttls": "true"}).smtp_ssl is True


@pytest.mark.parametrize(
    ("key", "value", "var"),
    [
        ("imap_ssl", "maybe", "EMAIL_IMAP_SSL"),
        ("imap_port", "abc", "EMAIL_IMAP_PORT"),
        ("address", "not-an-address", "EMAIL_ADDRESS"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_name(key: str, value: str, var: str) -> None:
    with pytest.raises(ChannelNotConfigured, match=var):
        load_settings({**email_settings(1, 2), key: value})
