"""The Zalo signature is checked before the body is parsed (issue 10, defect 9): an unsigned
body, however large, never reaches the JSON parser; the timestamp the signature covers is
read from the body's structure, never from text a citizen wrote."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.base import SignatureError
from connectors.zalo import ZaloConnector, signature
from devtools.clock import FakeClock
from devtools.zalo import ZaloSimulator
from tests.connectors.zalo.conftest import USER_ID


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Length of every document the JSON parser decodes (the stdlib parser, spied on)."""
    sizes: list[int] = []
    original = json.JSONDecoder.decode

    def decode(self: json.JSONDecoder, s: str, *args: Any, **kwargs: Any) -> Any:
        sizes.append(len(s))
        return original(self, s, *args, **kwargs)

    monkeypatch.setattr(json.JSONDecoder, "decode", decode)
    return sizes


def _big_unsigned(sim: ZaloSimulator, size: int) -> bytes:
    event = sim.user_text(USER_ID, "x" * size)
    return sim.encode(event)


def test_an_unsigned_body_is_never_parsed(
    sim: ZaloSimulator, connector: ZaloConnector, parsed: list[int]
) -> None:
    raw = _big_unsigned(sim, 2_000_000)
    headers = ["mac=" + "0" * 64, None, sim.sign(raw, secret="đoán")]  # the simulator parses
    parsed.clear()
    for header in headers:
        with pytest.raises(SignatureError):
            connector.verify_raw(raw, header)
    assert parsed == []


def test_a_signed_body_is_accepted_without_parsing_it_in_verify(
    sim: ZaloSimulator, connector: ZaloConnector, parsed: list[int]
) -> None:
    raw = _big_unsigned(sim, 200_000)
    header = sim.sign(raw)  # the simulator parses the body to sign it
    parsed.clear()
    connector.verify_raw(raw, header)
    assert parsed == []
    [event] = connector.parse(raw)  # parsed once, after the signature held
    assert len(event.text) == 200_000


def test_a_timestamp_written_by_the_citizen_is_not_the_signed_one(
    sim: ZaloSimulator, connector: ZaloConnector, clock: FakeClock
) -> None:
    """Quotes inside a JSON string are escaped, so a citizen's text cannot look like a key."""
    fresh = str(int((clock() + 1) * 1000))
    planted = f'","timestamp":"{fresh}","x":"' + f'{{"timestamp": "{fresh}"}}'
    event = sim.user_text(USER_ID, planted)
    event["message"] = {"text": planted, "msg_id": "m1"}  # the text comes before the timestamp
    event["timestamp"] = str(int((clock() - 3 * 3600) * 1000))  # three hours old
    body = {k: v for k, v in event.items() if k != "timestamp"} | {"timestamp": event["timestamp"]}
    raw = sim.encode(body)
    assert raw.index(b'\\"timestamp\\"') < raw.index(b'"timestamp":"')
    with pytest.raises(SignatureError, match="quá cũ"):
        connector.verify_raw(raw, sim.sign(raw))
    body["timestamp"] = str(int(clock() * 1000))
    raw = sim.encode(body)
    connector.verify_raw(raw, sim.sign(raw))  # the same text with a fresh signed timestamp


def test_a_forged_body_full_of_timestamp_keys_is_refused(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    now = sim.now_ms()
    raw = ("{" + ",".join(f'"timestamp":"{now}"' for _ in range(50_000)) + "}").encode()
    with pytest.raises(SignatureError):
        connector.verify_raw(raw, "mac=" + "1" * 64)


def test_numeric_timestamps_and_spacing_are_read_as_written(sim: ZaloSimulator) -> None:
    raw = b'{\n  "app_id": "1",\n  "timestamp" : 1763889000123 ,\n  "event_name": "follow"\n}'
    assert signature.signed_timestamps(raw) == ["1763889000123"]
    assert signature.signed_timestamps(b'{"a": {"timestamp": "5"}, "timestamp": "7"}') == ["5", "7"]
    assert signature.signed_timestamps(b'{"text": "\\"timestamp\\": \\"5\\""}') == []
    assert signature.signed_timestamps(b'{"text": "he wrote \\"timestamp", "n": {"k": 5}}') == []
