"""Pre-login console sessions without a database row (signed double-submit tokens).

Before login a browser only needs a CSRF token for the login form. Instead of a session
row per anonymous visitor, the cookie holds ``anon.<nonce>.<expiry>.<signature>`` and the
CSRF token is an HMAC of that cookie: both are checked with a key kept once in the
database (shared by every hub process), nothing is written per visitor, and a pre-login
token stops working at its expiry. Login replaces it with a real session (no fixation).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.auth.accounts import ANON_SESSION_TTL
from storage.models import ChannelState
from storage.session import SessionMaker

PREFIX = "anon."
KEY_NAME = "console:prelogin-key"
TTL = ANON_SESSION_TTL


def _sign(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def is_prelogin(token: str | None) -> bool:
    """Whether a cookie value has the pre-login form (session tokens never contain a dot)."""
    return token is not None and token.startswith(PREFIX)


def new_token(key: bytes, now: datetime) -> str:
    body = f"{PREFIX}{secrets.token_urlsafe(24)}.{int((now + TTL).timestamp())}"
    return f"{body}.{_sign(key, 'cookie', body)}"


def valid(key: bytes, token: str | None, now: datetime) -> bool:
    """A pre-login cookie we issued and that has not expired."""
    if token is None or not is_prelogin(token) or len(token) > 200:
        return False
    body, _, sig = token.rpartition(".")
    expiry = body.rpartition(".")[2]
    if not expiry.isascii() or not expiry.isdigit():
        return False
    return hmac.compare_digest(sig, _sign(key, "cookie", body)) and int(expiry) > now.timestamp()


def csrf_for(key: bytes, token: str) -> str:
    """The CSRF token that goes with a pre-login cookie (the login form sends it back)."""
    return _sign(key, "csrf", token)


async def load_key(sm: SessionMaker, now: datetime) -> bytes:
    """The signing key, created by whichever hub process asks first."""
    async with sm() as s:
        row = await s.get(ChannelState, KEY_NAME)
    if row is None:
        with contextlib.suppress(IntegrityError):  # another process created it first
            async with sm() as s, s.begin():
                s.add(ChannelState(key=KEY_NAME, value=secrets.token_hex(32), updated_at=now))
        async with sm() as s:
            row = await s.get(ChannelState, KEY_NAME)
    if row is None:
        raise RuntimeError("the pre-login signing key could not be stored")
    return bytes.fromhex(row.value)
