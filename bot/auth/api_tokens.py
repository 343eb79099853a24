"""API tokens of the integration API (issue 17): created by an admin (console or CLI),
scoped, stored as a SHA-256 only, shown once, revocable; the per-token request windows of
the rate limit when the hub has no Redis. The one module that changes ``api_tokens`` and
``api_rate_windows``."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import dialect_insert
from storage.models_integrations import ApiRateWindow, ApiToken

SCOPES = ("tickets:create", "tickets:read", "answers:read", "faq:read", "webhooks:manage")
TOKEN_PREFIX = "h1022_"
SHOWN_CHARS = 12  # the start of a token shown in lists to recognise it
MAX_NAME = 100


class TokenError(ValueError):
    """Bad input for a token (empty name, unknown scope, unknown token)."""


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted({s.strip() for s in scopes if s and s.strip()})
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise TokenError(f"Phạm vi không hợp lệ: {', '.join(unknown)} (cho phép: {', '.join(SCOPES)})")
    if not wanted:
        raise TokenError(f"Cần ít nhất một phạm vi ({', '.join(SCOPES)})")
    return wanted


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise TokenError("Cần tên của ứng dụng dùng mã truy cập")
    if len(name) > MAX_NAME:
        raise TokenError(f"Tên quá dài (tối đa {MAX_NAME} ký tự)")
    return name


async def create_token(
    session: AsyncSession,
    *,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    created_by_id: int | None = None,
    created_by: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret (returned once: only its hash is stored)."""
    row_name, row_scopes = clean_name(name), clean_scopes(scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=row_name,
        prefix=secret[:SHOWN_CHARS],
        token_hash=token_hash(secret),
        scopes=row_scopes,
        created_by_id=created_by_id,
        created_by=(created_by or "")[:100] or None,
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    await session.flush()
    return row, secret


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list((await session.execute(select(ApiToken).order_by(ApiToken.id))).scalars())


async def revoke_token(session: AsyncSession, token_id: int, now: datetime) -> ApiToken:
    row = await session.get(ApiToken, token_id)
    if row is None:
        raise TokenError(f"Không có mã truy cập số {token_id}")
    if row.revoked_at is None:
        row.revoked_at = now
    return row


async def find_token(session: AsyncSession, secret: str) -> ApiToken | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    found = await session.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    return found.scalar_one_or_none()


async def mark_used(session: AsyncSession, token_id: int, now: datetime) -> None:
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


async def count_request(session: AsyncSession, token_id: int, window_start: int) -> int:
    """Count one request in the token's window and return the window's count (atomic
    across processes: an upsert that adds one); older windows are dropped."""
    ins = dialect_insert(session, ApiRateWindow).values(token_id=token_id, window_start=window_start, count=1)
    upsert = ins.on_conflict_do_update(
        index_elements=["token_id", "window_start"], set_={"count": ApiRateWindow.count + 1}
    ).returning(ApiRateWindow.count)
    count = int((await session.execute(upsert)).scalar_one())
    if count == 1:
        await session.execute(
            delete(ApiRateWindow).where(
                ApiRateWindow.token_id == token_id, ApiRateWindow.window_start < window_start
            )
        )
    return count
