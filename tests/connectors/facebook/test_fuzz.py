"""Property test: whatever bytes arrive, parse() returns events or raises PayloadError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import InboundMessage, PayloadError
from connectors.facebook.parse import ParseOptions, parse_delivery
from tests.connectors.facebook.conftest import PAYLOADS

OPTS = ParseOptions(app_id="900000000000001")
GOLDEN = [json.loads(p.read_bytes()) for p in sorted(PAYLOADS.glob("*.json"))]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
KEYS = [
    "object", "entry", "messaging", "standby", "changes", "sender", "recipient", "id", "timestamp", "time",
    "message", "mid", "text", "attachments", "type", "payload", "url", "coordinates", "lat", "long",
    "quick_reply", "is_echo", "app_id", "metadata", "postback", "title", "delivery", "mids", "watermark",
    "read", "reply_to", "sticker_id", "reaction",
]  # fmt: skip


def check(raw: bytes) -> None:
    try:
        events = parse_delivery(raw, OPTS)
    except PayloadError as err:
        assert str(err).startswith("Facebook")
        return
    assert all(isinstance(e, InboundMessage) for e in events)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    check(raw)


@settings(max_examples=400)
@given(json_values)
def test_random_json(value: Any) -> None:
    check(json.dumps(value).encode())


def _mutate(node: Any, draw: st.DrawFn) -> Any:
    """Replace, drop or retype pieces of a real delivery, keeping most of its shape."""
    if isinstance(node, dict):
        out = {}
        for key, val in node.items():
            choice = draw(st.integers(0, 9))
            if choice == 0:
                continue  # drop the field
            out[key] = draw(json_values) if choice == 1 else _mutate(val, draw)
        if draw(st.integers(0, 9)) == 0:
            out[draw(st.sampled_from(KEYS))] = draw(json_values)
        return out
    if isinstance(node, list):
        return [_mutate(v, draw) for v in node if draw(st.integers(0, 9)) != 0]
    return draw(json_values) if draw(st.integers(0, 4)) == 0 else node


@st.composite
def mutated_deliveries(draw: st.DrawFn) -> Any:
    return _mutate(draw(st.sampled_from(GOLDEN)), draw)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_deliveries())
def test_mutated_golden_deliveries(value: Any) -> None:
    check(json.dumps(value).encode())


def test_deeply_nested_json_is_payload_error() -> None:
    check(b"[" * 100_000 + b"]" * 100_000)
    check(b'{"object":"page","entry":' + b"[" * 50_000 + b"]" * 50_000 + b"}")
    check(b'{"object":' + b"[" * 990 + b"]" * 990 + b"}")  # deep but loadable: no repr recursion
