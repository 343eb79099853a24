"""Webhook authenticity: ``X-Hub-Signature-256`` and the GET verification handshake.

Facebook signs every POST with ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the
raw request body keyed with the app secret. We recompute it over the exact bytes received
and compare in constant time. A mismatch is answered 403, as Facebook's docs suggest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from connectors.base import SignatureError

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


class ForgedDelivery(SignatureError):
    """The delivery is unsigned or its signature does not match: answer 403."""

    http_status = 403


def sign(app_secret: str, body: bytes) -> str:
    """The header value Facebook would send for ``body``: ``sha256=<hex>``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def check(app_secret: str, body: bytes, header: str | None) -> None:
    """Raise :class:`ForgedDelivery` unless ``header`` signs ``body`` with ``app_secret``."""
    if not header:
        raise ForgedDelivery(f"thiếu tiêu đề {SIGNATURE_HEADER}")
    header = header.strip()
    if not header.lower().startswith(_PREFIX):
        raise ForgedDelivery(f"{SIGNATURE_HEADER} không có dạng sha256=<hex>")
    given = header[len(_PREFIX) :].strip().lower()
    expected = sign(app_secret, body)[len(_PREFIX) :]
    # compare_digest on ASCII bytes is constant-time whatever the input's length or content
    if not hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii")):
        raise ForgedDelivery(f"chữ ký {SIGNATURE_HEADER} không khớp")


def handshake(query: Mapping[str, str], verify_token: str) -> tuple[int, str]:
    """Answer Facebook's GET subscription check: ``(status, body)``.

    ``hub.mode=subscribe`` with the right ``hub.verify_token`` gets 200 and the
    ``hub.challenge`` echoed back as plain text; anything else gets 403.
    """
    mode = query.get("hub.mode", "")
    token = query.get("hub.verify_token", "")
    challenge = query.get("hub.challenge", "")
    token_ok = hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8"))
    if mode == "subscribe" and token_ok and challenge:
        return 200, challenge
    return 403, "Xác minh webhook Facebook thất bại"
