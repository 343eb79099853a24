"""Zalo webhook authentication.

Zalo signs each delivery with the header ``X-ZEvent-Signature: mac=<hex>`` where
``<hex> = sha256(app_id + raw_body + timestamp + oa_secret_key)``; ``app_id`` and
``timestamp`` are the fields of that same body (the timestamp is in **milliseconds**, as a
string). We recompute it over the raw bytes exactly as received and compare in constant time.

The signature is checked **before** the body is parsed: an unsigned body (up to the hub's
``HUB_MAX_UPLOAD_BYTES``) never reaches the JSON parser. The timestamp the MAC needs is found
by a substring search of the raw bytes for a ``"timestamp"`` key right after ``{`` or ``,``
and followed by ``:``. That is JSON structure: inside a JSON string every quote is escaped
(``\\"``), so text a citizen wrote can never look like a key. The first few such keys are
tried (a real Zalo event has one, at the top level), and a MAC that matches proves the body
is Zalo's. The work is bounded whatever the body: a few occurrences looked at, at most
``MAX_CANDIDATES`` hashes. Our own ``app_id`` goes into the MAC, so a body signed for
another app never matches; the body's ``app_id`` must be ours as well.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from connectors.base import SignatureError

HEADER = "X-ZEvent-Signature"
MAX_CANDIDATES = 3  # structural "timestamp" keys tried: bounds the work for a forged body
MAX_LOOKS = 64  # occurrences of a key's name examined (a forged body may repeat it)
_TIMESTAMP_VALUE = re.compile(rb'\s*:\s*"?([0-9]{1,20})(?![0-9])')
_APP_ID_VALUE = re.compile(rb'\s*:\s*"?([^"\\,}\s]{1,64})')
_SPACE = b" \t\r\n"


def compute_mac(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The hex digest Zalo puts after ``mac=``."""
    data = app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def signature_header(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    return "mac=" + compute_mac(app_id, raw, timestamp, oa_secret_key)


def _structural(key: bytes, value: re.Pattern[bytes], raw: bytes) -> list[str]:
    """Values of the first keys named ``key`` that are JSON structure: the quoted name right
    after ``{`` or ``,`` and followed by ``:``. A fast substring search, then a few checks."""
    needle = b'"' + key + b'"'
    found: list[str] = []
    at = raw.find(needle)
    looks = 0
    while at >= 0 and len(found) < MAX_CANDIDATES and looks < MAX_LOOKS:
        looks += 1
        before = raw[max(0, at - 64) : at].rstrip(_SPACE)
        match = value.match(raw, at + len(needle))
        if before[-1:] in (b"{", b",") and match is not None:
            found.append(match.group(1).decode("utf-8", "replace"))
        at = raw.find(needle, at + len(needle))
    return found


def signed_timestamps(raw: bytes) -> list[str]:
    """Values of the first structural ``"timestamp"`` keys, as written (no JSON parse)."""
    return _structural(b"timestamp", _TIMESTAMP_VALUE, raw)


def _app_ids(raw: bytes) -> list[str]:
    return _structural(b"app_id", _APP_ID_VALUE, raw)


def _signed_fields(raw: bytes) -> tuple[str, str]:
    """``(app_id, timestamp)`` as written in the body: the first structural keys."""
    app_ids, timestamps = _app_ids(raw), signed_timestamps(raw)
    if not app_ids or not timestamps:
        raise SignatureError("Zalo: thiếu app_id hoặc timestamp hợp lệ trong sự kiện")
    return app_ids[0], timestamps[0]


def _header_mac(header: str | None) -> bytes:
    if not header:
        raise SignatureError("Zalo: thiếu header X-ZEvent-Signature")
    value = header.strip()
    if value[:4].lower() == "mac=":
        value = value[4:].strip()
    return value.lower().encode("utf-8", "replace")


def timestamp_seconds(timestamp: str) -> float:
    """Zalo timestamps are milliseconds; tolerate seconds (10 digits or fewer) too."""
    value = int(timestamp)
    return value / 1000.0 if value >= 10**11 else float(value)


def verify(
    raw: bytes,
    header: str | None,
    *,
    app_id: str,
    oa_secret_key: str,
    now: float,
    max_age: float,
    max_skew: float,
) -> None:
    """Raise :class:`SignatureError` unless ``raw`` is a fresh delivery signed for our app.

    ``max_age``: how old (seconds) an event may be; Zalo redelivers unacknowledged events
    with their original timestamp for up to ~2 h, so this must not be shorter than that.
    ``max_skew``: how far in the future a timestamp may be (clock drift).
    """
    given = _header_mac(header)
    app_ids, candidates = _app_ids(raw), signed_timestamps(raw)
    if not app_ids or not candidates:
        raise SignatureError("Zalo: thiếu app_id hoặc timestamp hợp lệ trong sự kiện")
    timestamp = None
    # every candidate is hashed and compared, whatever matched: the time taken tells nothing
    for candidate in candidates:
        expected = compute_mac(app_id, raw, candidate, oa_secret_key).encode()
        if hmac.compare_digest(given, expected) and timestamp is None:
            timestamp = candidate
    if timestamp is None or app_id not in app_ids:
        raise SignatureError("Zalo: chữ ký không hợp lệ (sự kiện giả mạo hoặc sai OA secret key)")
    age = now - timestamp_seconds(timestamp)
    if age > max_age:
        raise SignatureError(f"Zalo: sự kiện quá cũ ({age:.0f} giây), bị từ chối để chống phát lại")
    if age < -max_skew:
        raise SignatureError(f"Zalo: thời điểm sự kiện ở tương lai ({-age:.0f} giây), bị từ chối")
