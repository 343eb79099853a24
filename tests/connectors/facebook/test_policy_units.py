"""Pure pieces: window boundaries, text splitting, Graph error table, settings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from connectors.base import (
    ChannelNotConfigured,
    PermanentSendError,
    RateLimited,
    SenderRole,
    TransientSendError,
)
from connectors.facebook import PageTokenInvalid
from connectors.facebook.errors import parse_graph_error, retry_after_from_headers, to_send_error
from connectors.facebook.settings import load as load_settings
from connectors.facebook.text import split_text
from connectors.facebook.window import HUMAN_AGENT, RESPONSE, OutsideWindow, decide
from connectors.registry import ConnectorContext, ConnectorRegistry
from tests.connectors.fakestate import MemoryStateStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


@pytest.mark.parametrize(
    ("last", "role", "expected"),
    [
        (ago(hours=23, minutes=59), SenderRole.BOT, RESPONSE),
        (ago(seconds=-30), SenderRole.BOT, RESPONSE),  # clock skew: citizen "in the future"
        (ago(hours=24), SenderRole.OPERATOR, HUMAN_AGENT),
        (ago(days=6, hours=23), SenderRole.AGENCY, HUMAN_AGENT),
        (ago(hours=1), SenderRole.OPERATOR, RESPONSE),
        (None, SenderRole.BOT, RESPONSE),
        (ago(hours=23).replace(tzinfo=None), SenderRole.BOT, RESPONSE),  # naive = UTC
    ],
)
def test_window_allows(last: datetime | None, role: SenderRole, expected: object) -> None:
    assert decide(NOW.timestamp(), last, role) == expected


@pytest.mark.parametrize(
    ("last", "role"),
    [
        (ago(hours=24), SenderRole.BOT),
        (ago(hours=30), SenderRole.SYSTEM),
        (ago(days=7), SenderRole.OPERATOR),
        (ago(days=30), SenderRole.AGENCY),
    ],
)
def test_window_refuses(last: datetime, role: SenderRole) -> None:
    with pytest.raises(OutsideWindow):
        decide(NOW.timestamp(), last, role)


def test_window_fields() -> None:
    assert RESPONSE.fields() == {"messaging_type": "RESPONSE"}
    assert HUMAN_AGENT.fields() == {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}


# ------------------------------------------------------------------ split


def test_split_exact_limit_and_one_over() -> None:
    assert split_text("a" * 2000) == ["a" * 2000]
    assert split_text("a" * 1999 + " b") == ["a" * 1999, "b"]
    assert split_text("a" * 2000 + " b") == ["a" * 2000, "b"]


def test_split_prefers_paragraphs_then_lines() -> None:
    para = "x" * 900
    text = f"{para} {para}\n\n{para} {para}"
    assert split_text(text) == [f"{para} {para}", f"{para} {para}"]
    assert split_text("ab cd\nef gh", limit=8) == ["ab cd", "ef gh"]


def test_split_cuts_a_giant_word_hard_and_loses_nothing() -> None:
    word = "x" * 4500
    pieces = split_text(word)
    assert [len(p) for p in pieces] == [2000, 2000, 500] and "".join(pieces) == word


def test_split_blank() -> None:
    assert split_text("") == [] and split_text(" \n ") == []
    with pytest.raises(ValueError):
        split_text("x", limit=0)


# ------------------------------------------------------------------ Graph error table


def graph(code: int | None, subcode: int | None = None, status: int = 400, **extra: object) -> bytes:
    err: dict[str, object] = {"message": "m", "type": "OAuthException", "fbtrace_id": "T"}
    if code is not None:
        err["code"] = code
    if subcode is not None:
        err["error_subcode"] = subcode
    err.update(extra)
    return json.dumps({"error": err}).encode()


@pytest.mark.parametrize(
    ("status", "body", "kind", "label"),
    [
        (400, graph(190, 460), PageTokenInvalid, "190/460"),
        (400, graph(102), PageTokenInvalid, "102"),
        (400, graph(613), RateLimited, "613"),
        (400, graph(4), RateLimited, "4"),
        (400, graph(17), RateLimited, "17"),
        (400, graph(32), RateLimited, "32"),
        (400, graph(80006), RateLimited, "80006"),
        (429, b"", RateLimited, "http_429"),
        (500, graph(1), TransientSendError, "1"),
        (400, graph(2), TransientSendError, "2"),
        (400, graph(1200), TransientSendError, "1200"),
        (400, graph(100, is_transient=True), TransientSendError, "100"),
        (503, b"Service Unavailable", TransientSendError, "http_503"),
        (400, graph(10, 2018278), PermanentSendError, "10/2018278"),
        (400, graph(10, 2018065), PermanentSendError, "10/2018065"),
        (400, graph(10, 2018108), PermanentSendError, "10/2018108"),
        (400, graph(551), PermanentSendError, "551"),
        (403, graph(200, 1545041), PermanentSendError, "200/1545041"),
        (400, graph(100), PermanentSendError, "100"),
        (400, graph(100, 2018001), PermanentSendError, "100/2018001"),
        (403, graph(10), PermanentSendError, "10"),
        (403, graph(230), PermanentSendError, "230"),
        (400, b"<html>bad</html>", PermanentSendError, "http_400"),
    ],
)
def test_graph_error_table(status: int, body: bytes, kind: type, label: str) -> None:
    err = to_send_error(parse_graph_error(status, body, {}))
    assert type(err) is kind
    assert err.code == label
    assert err.reason  # Vietnamese text for the operator
    assert err.retryable is (kind is not PermanentSendError)


def test_retry_after_headers() -> None:
    assert retry_after_from_headers({"Retry-After": "12"}) == 12.0
    assert retry_after_from_headers({"Retry-After": "soon"}) is None
    usage = json.dumps({"123": [{"type": "messenger", "estimated_time_to_regain_access": 5}]})
    assert retry_after_from_headers({"X-Business-Use-Case-Usage": usage}) == 300.0
    assert retry_after_from_headers({"X-App-Usage": '{"call_count": 100}'}) is None
    assert retry_after_from_headers({"X-Page-Usage": "not json"}) is None
    err = to_send_error(parse_graph_error(400, graph(613), {}))
    assert isinstance(err, RateLimited) and err.retry_after == 60.0  # documented default


# ------------------------------------------------------------------ settings


async def test_missing_settings_name_every_variable() -> None:
    with pytest.raises(ChannelNotConfigured) as info:
        load_settings({"app_secret": "", "graph_base": "https://graph.facebook.com/v21.0"})
    msg = str(info.value)
    assert msg.startswith("Kênh Facebook đang tắt")
    for var in ("FACEBOOK_APP_SECRET", "FACEBOOK_VERIFY_TOKEN", "FACEBOOK_PAGE_ACCESS_TOKEN"):
        assert var in msg
    with pytest.raises(ChannelNotConfigured) as only:
        load_settings({"app_secret": "s", "verify_token": "v"})
    assert "FACEBOOK_PAGE_ACCESS_TOKEN" in str(only.value) and "FACEBOOK_APP_SECRET" not in str(only.value)


def test_defaults_and_secret_free_repr() -> None:
    s = load_settings({"app_secret": "s3cr3t", "verify_token": "v", "page_access_token": "EAAtoken"})
    assert s.graph_base == "https://graph.facebook.com/v21.0"
    assert "s3cr3t" not in repr(s) and "EAAtoken" not in repr(s)
    with pytest.raises(ChannelNotConfigured):
        load_settings(
            {"app_secret": "s", "verify_token": "v", "page_access_token": "t", "graph_base": "ftp://x"}
        )


async def test_registry_reports_facebook_off_with_reason() -> None:
    async with aiohttp.ClientSession() as session:

        def make_ctx(name: str, settings: Mapping[str, Any]) -> ConnectorContext:
            return ConnectorContext(
                session=session, state=MemoryStateStore(), settings=settings, clock=lambda: 0.0
            )

        reg = ConnectorRegistry.build(
            {"facebook": {"app_secret": "", "verify_token": "", "page_access_token": ""}}, make_ctx
        )
        assert "facebook" not in reg
        assert "FACEBOOK_APP_SECRET" in reg.disabled["facebook"]
        ok = ConnectorRegistry.build(
            {"facebook": {"app_secret": "a", "verify_token": "b", "page_access_token": "c"}}, make_ctx
        )
        assert ok.get("facebook").name == "facebook"
