"""The OA access/refresh token pair, kept in the hub's :class:`StateStore`.

Zalo's refresh token works ONCE: a refresh returns a new access token and a new refresh token,
and the old refresh token is dead. So the pair lives in shared durable state (never only in
memory), is replaced with ``compare_and_set`` (atomic), and a refresh happens under the
cross-worker ``state.lock``: whoever gets the lock re-reads the pair first and refreshes only if
the access token that failed is still the current one. Concurrent sends in every worker thus
cause one refresh, and the others pick up its result.

The pair from the settings (``ZALO_ACCESS_TOKEN``/``ZALO_REFRESH_TOKEN``) only seeds the state
the first time; after a rotation the stored pair wins.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from connectors.base import AuthExpired, StateStore, TransientSendError
from connectors.zalo.client import ZaloClient
from connectors.zalo.errors import ZaloAPIError

log = logging.getLogger(__name__)

STATE_KEY = "zalo:oa_tokens"
LOCK_NAME = "zalo:oa_token_refresh"
EXPIRY_MARGIN = 300.0  # refresh this many seconds before the known expiry


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: float | None = None  # epoch seconds, when Zalo told us
    rotated_at: float | None = None

    def encode(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def decode(cls, raw: str) -> TokenPair:
        try:
            data = json.loads(raw)
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=data.get("expires_at"),
                rotated_at=data.get("rotated_at"),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise AuthExpired(
                "Cặp token Zalo lưu trong kho trạng thái bị hỏng: "
                "cần cấu hình lại ZALO_ACCESS_TOKEN/ZALO_REFRESH_TOKEN",
                code="state-corrupt",
            ) from err


class TokenManager:
    def __init__(
        self,
        *,
        state: StateStore,
        client: ZaloClient,
        app_id: str,
        app_secret: str,
        seed: TokenPair,
        clock: Callable[[], float],
        key: str = STATE_KEY,
        lock_timeout: float = 15.0,
        lock_attempts: int = 8,
    ) -> None:
        self._state = state
        self._client = client
        self._app_id = app_id
        self._app_secret = app_secret
        self._seed = seed
        self._clock = clock
        self._key = key
        self._lock_timeout = lock_timeout
        self._lock_attempts = lock_attempts
        self._local = asyncio.Lock()  # one refresh attempt at a time inside this worker
        self.refreshes = 0  # refreshes this instance performed (for logs and tests)

    async def _read(self) -> tuple[str, TokenPair]:
        raw = await self._state.get(self._key)
        if raw is None:
            seeded = self._seed.encode()
            if await self._state.compare_and_set(self._key, None, seeded):
                return seeded, self._seed
            raw = await self._state.get(self._key)
            if raw is None:
                raise AuthExpired("Không đọc được cặp token Zalo từ kho trạng thái", code="state")
        return raw, TokenPair.decode(raw)

    async def current(self) -> TokenPair:
        return (await self._read())[1]

    async def access_token(self) -> str:
        """The token to call with; refreshed first when its known expiry is near."""
        pair = await self.current()
        if pair.expires_at is None or self._clock() < pair.expires_at - EXPIRY_MARGIN:
            return pair.access_token
        try:
            return (await self.refresh(pair.access_token)).access_token
        except AuthExpired:
            if self._clock() < pair.expires_at:
                log.warning("zalo: early token refresh failed; the current token still works for now")
                return pair.access_token
            raise

    async def refresh(self, failed_access_token: str) -> TokenPair:
        """Make sure the stored access token is not ``failed_access_token`` any more.

        Whether ``state.lock`` waits for the holder (the hub's store) or answers ``False`` at
        once (a non-blocking store), we re-read and retry with short, growing pauses until the
        holder has stored the new pair, or give up with :class:`AuthExpired`."""
        async with self._local:  # coroutines of this worker queue here: one attempt at a time
            for attempt in range(self._lock_attempts):
                raw, pair = await self._read()
                if pair.access_token != failed_access_token:
                    return pair  # someone refreshed meanwhile
                async with self._state.lock(LOCK_NAME, timeout=self._lock_timeout) as acquired:
                    if acquired:
                        raw, pair = await self._read()  # re-read under the lock
                        if pair.access_token != failed_access_token:
                            return pair
                        return await self._rotate(raw, pair)
                await asyncio.sleep(min(0.02 * 2**attempt, 1.0))
        raise AuthExpired("Token Zalo đang được làm mới ở tiến trình khác quá lâu; sẽ thử lại", code="lock")

    async def _rotate(self, raw: str, pair: TokenPair) -> TokenPair:
        try:
            fresh = await self._client.refresh_tokens(
                app_id=self._app_id, app_secret=self._app_secret, refresh_token=pair.refresh_token
            )
        except ZaloAPIError as err:
            raise AuthExpired(
                "Không làm mới được access token Zalo (refresh token không hợp lệ hoặc đã hết hạn): "
                "quản trị viên cần cấp quyền lại cho ứng dụng và cập nhật ZALO_REFRESH_TOKEN",
                code=err.code,
            ) from err
        except TransientSendError as err:
            raise AuthExpired(f"Không làm mới được access token Zalo: {err.reason}", code=err.code) from err
        now = self._clock()
        expires_at = now + fresh.expires_in if fresh.expires_in else None
        new = TokenPair(fresh.access_token, fresh.refresh_token, expires_at, now)
        if not await self._state.compare_and_set(self._key, raw, new.encode()):
            # only possible if our lock expired and another worker rotated too: theirs is stored
            log.error("zalo: token pair changed during our refresh; keeping the stored one")
            return await self.current()
        self.refreshes += 1
        log.info("zalo: access token refreshed, refresh token rotated")
        return new
