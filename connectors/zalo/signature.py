"""Zalo webhook authentication.

Zalo signs each delivery with the header ``X-ZEvent-Signature: mac=<hex>`` where
``<hex> = sha256(app_id + raw_body + timestamp + oa_secret_key)``; ``app_id`` and
``timestamp`` are the fields of that same body (the timestamp is in **milliseconds**, as a
string). We recompute it over the raw bytes exactly as received and compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from connectors.base import SignatureError

HEADER = "X-ZEvent-Signature"
_DIGITS = re.compile(r"^[0-9]{1,20}$")


def compute_mac(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The hex digest Zalo puts after ``mac=``."""
    data = app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def signature_header(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    return "mac=" + compute_mac(app_id, raw, timestamp, oa_secret_key)


def _signed_fields(raw: bytes) -> tuple[str, str]:
    """``(app_id, timestamp)`` as text, exactly as written in the body (no float rounding)."""
    try:
        body: Any = json.loads(raw, parse_int=str, parse_float=str)
    except (ValueError, RecursionError) as err:
        raise SignatureError("Zalo: thân yêu cầu không phải JSON nên không kiểm được chữ ký") from err
    if not isinstance(body, dict):
        raise SignatureError("Zalo: thân yêu cầu không phải đối tượng JSON")
    app_id, timestamp = body.get("app_id"), body.get("timestamp")
    if not isinstance(app_id, str) or not isinstance(timestamp, str) or not _DIGITS.match(timestamp):
        raise SignatureError("Zalo: thiếu app_id hoặc timestamp hợp lệ trong sự kiện")
    return app_id, timestamp


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
    body_app_id, timestamp = _signed_fields(raw)
    expected = compute_mac(app_id, raw, timestamp, oa_secret_key).encode()
    # compare first, in constant time, whatever the app id says: no oracle on our app id
    signature_ok = hmac.compare_digest(given, expected)
    if not signature_ok or not hmac.compare_digest(body_app_id.encode(), app_id.encode()):
        raise SignatureError("Zalo: chữ ký không hợp lệ (sự kiện giả mạo hoặc sai OA secret key)")
    age = now - timestamp_seconds(timestamp)
    if age > max_age:
        raise SignatureError(f"Zalo: sự kiện quá cũ ({age:.0f} giây), bị từ chối để chống phát lại")
    if age < -max_skew:
        raise SignatureError(f"Zalo: thời điểm sự kiện ở tương lai ({-age:.0f} giây), bị từ chối")
