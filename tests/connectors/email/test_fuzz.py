"""Property tests: the parser never crashes on what arrives by mail."""

from __future__ import annotations

import os
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import InboundMessage, PayloadError
from connectors.email.mime import parse_email
from connectors.email.parts import MimeLimits

from .conftest import payload

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))  # raise it for a longer fuzzing run
LIMITS = MimeLimits(max_attachment_bytes=2_000, max_total_attachment_bytes=4_000, max_attachments=5)
GOLDEN = [
    payload(n)
    for n in ("plain.eml", "attachments.eml", "html_only.eml", "rfc2047.eml", "bounce_mailer_daemon.eml")
]


def check(raw: bytes) -> None:
    try:
        msg = parse_email(raw, own_addresses=["1022@hotline.test"], limits=LIMITS)
    except PayloadError as err:
        assert str(err)  # a clear reason, never a bare crash
        return
    assert isinstance(msg, InboundMessage)
    assert "@" in msg.external_user_id
    assert msg.channel_message_id and msg.channel_message_id.startswith("<")
    for text in (msg.text, msg.subject or "", msg.external_user_id, *(a.name or "" for a in msg.attachments)):
        assert unicodedata.is_normalized("NFC", text)
        assert "\x00" not in text
        text.encode("utf-8")
    for att in msg.attachments:
        assert att.data is None or len(att.data) <= LIMITS.max_attachment_bytes
    # deterministic: the same bytes give the same id (nothing stored twice)
    again = parse_email(raw, own_addresses=["1022@hotline.test"], limits=LIMITS)
    assert again.channel_message_id == msg.channel_message_id


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes(raw: bytes) -> None:
    check(raw)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(GOLDEN), st.data())
def test_mutated_golden_mail(raw: bytes, data: st.DataObject) -> None:
    """Flip, cut and splice bytes of real mails (headers, boundaries, base64 all get hit)."""
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 20))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        pos = data.draw(st.integers(0, max(0, len(buf) - 1)))
        if op == "flip" and buf:
            buf[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del buf[pos : pos + data.draw(st.integers(1, 200))]
        else:
            buf[pos:pos] = data.draw(
                st.sampled_from(
                    [
                        b"=?x-bogus?B?@@@?=",
                        b"\r\n--",
                        b"=?utf-8?q?=ZZ?=",
                        b"\xff\xfe",
                        b"\r\n\r\n",
                        b'boundary="',
                    ]
                )
            )
    check(bytes(buf))


HEADER_VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["=?utf-8?B?SGk=?=", "=?windows-1258?Q?Vi=EA=F2t?=", "=?x-unknown?q?a?=", "<>", "<@>"]),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "Subject",
                "From",
                "Reply-To",
                "Date",
                "Message-ID",
                "In-Reply-To",
                "References",
                "Content-Type",
                "Content-Transfer-Encoding",
                "Auto-Submitted",
                "Return-Path",
            ]
        ),
        HEADER_VALUES,
    ),
    st.binary(max_size=500),
)
def test_random_headers(headers: dict[str, str], body: bytes) -> None:
    lines = [f"{k}: {v}".replace("\r", " ").replace("\n", " ") for k, v in headers.items()]
    raw = ("\r\n".join(["From: a@example.vn", *lines]) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body
    check(raw)
