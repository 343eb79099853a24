"""The IMAP poller: new mail of one mailbox → the hub's ``deliver`` callback, exactly once.

* **One poller per mailbox.** Every hub worker runs :meth:`ImapPoller.run`; only the holder of
  ``state.lock("email-poller:<user>@<host>/<mailbox>")`` talks to the server. The lock is
  taken for slices of at most ``lock_ttl / 2`` seconds (the hub's lock may expire after
  ``lock_ttl``) and taken again right away by the same worker, which keeps its IMAP
  connection; a worker that does not get it closes its connection and retries every
  ``lock_retry`` seconds, so another worker takes over when the holder dies.
* **Cursor.** ``"<UIDVALIDITY>:<last UID>"`` in one state key
  (``email:cursor:<user>@<host>/<mailbox>``), written only after ``deliver`` returned (the
  messages are stored before the cursor moves). Only UIDs above the last are fetched, and
  the answer of ``UID SEARCH UID n:*`` is filtered (servers return the last message for
  ``n:*`` even when ``n`` is above the highest UID).
* **First start and UIDVALIDITY change.** The old UIDs mean nothing any more, so the poller
  re-reads the messages that arrived in the last ``imap_backfill_days`` days (``UID SEARCH
  SINCE``) and then continues after the mailbox's current highest UID. Messages already
  stored come back with the same ``channel_message_id`` (their Message-ID, or the hash of
  their bytes) and the hub drops them as duplicates; nothing older is imported.
* **Reading never changes the mailbox**: ``BODY.PEEK[]`` (no ``\\Seen``), no flags, no moves.
* **Waiting.** IDLE when the server advertises it (re-issued every ``imap_idle_timeout``),
  otherwise a poll every ``imap_poll_interval`` seconds.
* **Errors.** Any failure closes the connection; the next attempt waits an exponential
  backoff with jitter (:func:`backoff_delay`). Clock, sleep and randomness are injected.
* **Messages too big** (``RFC822.SIZE`` above ``max_message_bytes``) are delivered from their
  header only, with ``raw["body_omitted"]``; a message that cannot be parsed at all is
  delivered as ``EventKind.UNKNOWN`` with the original bytes attached: nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aioimaplib

from connectors.base import Attachment, Deliver, EventKind, InboundMessage, PayloadError, StateStore
from connectors.email.mime import synthetic_message_id
from connectors.email.settings import EmailSettings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Parse = Callable[[bytes], InboundMessage]

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]")
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ImapError(Exception):
    """The IMAP server said NO/BAD or the conversation broke."""


def backoff_delay(
    attempt: int, *, base: float = 1.0, cap: float = 300.0, rng: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with "equal jitter": between half and all of ``base * 2**(n-1)``,
    capped at ``cap``. ``attempt`` counts from 1."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + rng() * ceiling / 2


def imap_date(when: datetime) -> str:
    """IMAP SEARCH date (``23-Nov-2026``), locale-independent."""
    return f"{when.day:02d}-{_MONTHS[when.month - 1]}-{when.year}"


@dataclasses.dataclass(frozen=True, slots=True)
class Cursor:
    uidvalidity: int
    last_uid: int

    def dump(self) -> str:
        return f"{self.uidvalidity}:{self.last_uid}"

    @classmethod
    def load(cls, value: str | None) -> Cursor | None:
        if not value:
            return None
        try:
            validity, last = value.split(":", 1)
            return cls(int(validity), int(last))
        except ValueError:
            return None


def parse_fetch(lines: Sequence[bytes | bytearray]) -> dict[int, tuple[int | None, bytes | None]]:
    """``UID FETCH`` response lines → ``{uid: (RFC822.SIZE, literal bytes)}``.

    Handles the UID before or after the literal."""
    out: dict[int, tuple[int | None, bytes | None]] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if isinstance(line, bytes) and b" FETCH " in line:
            head = bytes(line)
            literal: bytes | None = None
            if i + 1 < len(lines) and isinstance(lines[i + 1], bytearray):
                literal = bytes(lines[i + 1])
                i += 1
                if i + 1 < len(lines) and isinstance(lines[i + 1], bytes) and b" FETCH " not in lines[i + 1]:
                    head += b" " + bytes(lines[i + 1])
                    i += 1
            uid = _FETCH_UID.search(head)
            size = _FETCH_SIZE.search(head)
            if uid:
                out[int(uid.group(1))] = (int(size.group(1)) if size else None, literal)
        i += 1
    return out


class ImapPoller:
    def __init__(
        self,
        settings: EmailSettings,
        state: StateStore,
        parse: Parse,
        *,
        clock: Callable[[], float],
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
    ) -> None:
        self.settings = settings
        self.state = state
        self.parse = parse
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.lock_name = f"email-poller:{settings.mailbox_key}"
        self.cursor_key = f"email:cursor:{settings.mailbox_key}"
        self.client: aioimaplib.IMAP4 | None = None
        self.uidvalidity = 0
        self.uidnext = 0
        self.idle_supported = False
        self.is_leader = False
        self.failures = 0  # consecutive failures (backoff attempt number)
        self.errors: list[str] = []  # recent error descriptions (for status pages and tests)
        self.syncs = 0  # completed synchronisations (for tests and metrics)
        self.connection_lost = False
        self.changed = False  # the server announced a change since the last sync began
        self._stopping = False

    # ------------------------------------------------------------------ main loop

    async def run(self, deliver: Deliver) -> None:
        """Poll until :meth:`stop` (or cancellation)."""
        try:
            while not self._stopping:
                wait = await self._turn(deliver)
                if wait > 0 and not self._stopping:
                    await self.sleep(wait)
        finally:
            await self.disconnect()

    def stop(self) -> None:
        self._stopping = True

    async def _turn(self, deliver: Deliver) -> float:
        """One lock slice; returns how long to wait before the next."""
        async with self.state.lock(self.lock_name, timeout=self.settings.lock_ttl) as held:
            if not held:
                if self.is_leader or self.client is not None:
                    log.info("e-mail poller: lock %s held elsewhere, standing by", self.lock_name)
                self.is_leader = False
                await self.disconnect()
                return self.settings.lock_retry
            self.is_leader = True
            try:
                await self._slice(deliver, self.clock() + self.settings.lock_ttl / 2)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self.failures += 1
                self.errors = [*self.errors[-19:], f"{type(err).__name__}: {err}"]
                delay = backoff_delay(
                    self.failures, base=self.backoff_base, cap=self.backoff_cap, rng=self.rng
                )
                log.warning("e-mail poller error (%s), retry in %.1fs", err, delay, exc_info=err)
                await self.disconnect()
                return delay
            self.failures = 0
            return 0.0

    async def _slice(self, deliver: Deliver, deadline: float) -> None:
        if self.client is None:
            await self.connect()
        await self.sync(deliver)
        while not self._stopping and self.clock() < deadline:
            if not self.changed:  # mail announced during the last sync: go again at once
                await self._wait_for_news(max(0.0, deadline - self.clock()))
            await self.sync(deliver)

    # ------------------------------------------------------------------ connection

    async def connect(self) -> None:
        s = self.settings
        context = ssl.create_default_context(cafile=s.imap_ca_file) if s.imap_ssl else None
        self.connection_lost = False
        self.changed = False
        client = aioimaplib.IMAP4(
            host=s.imap_host,
            port=s.imap_port,
            timeout=s.timeout,
            ssl_context=context,
            conn_lost_cb=self._on_connection_lost,
        )
        self.client = client
        self._watch_untagged(client)
        await client.wait_hello_from_server()
        _ok(await client.login(s.imap_user, s.imap_password), "LOGIN")
        response = _ok(await client.select(s.imap_mailbox), f"SELECT {s.imap_mailbox}")
        self.uidvalidity, self.uidnext = 0, 0
        for line in response.lines:
            if m := _UIDVALIDITY.search(line):
                self.uidvalidity = int(m.group(1))
            if m := _UIDNEXT.search(line):
                self.uidnext = int(m.group(1))
        if not self.uidvalidity:
            raise ImapError("SELECT did not report UIDVALIDITY")
        self.idle_supported = s.imap_use_idle and client.has_capability("IDLE")

    def _watch_untagged(self, client: aioimaplib.IMAP4) -> None:
        """Note every untagged EXISTS/EXPUNGE, whatever command it arrives with.

        Dovecot reports new mail at the end of any command; aioimaplib drops such lines when
        they come with a SEARCH or FETCH. Without this, mail arriving while we synchronise
        would be announced during the sync, missed by it, and never announced again in IDLE."""
        protocol = client.protocol
        original = protocol._untagged_response

        def spy(line: bytes) -> Any:
            if b"EXISTS" in line or b"EXPUNGE" in line:
                self.changed = True
            return original(line)

        protocol._untagged_response = spy

    def _on_connection_lost(self, exc: Exception | None) -> None:
        """The server closed the connection: wake an IDLE wait at once."""
        self.connection_lost = True
        client = self.client
        if client is not None:
            with contextlib.suppress(Exception):
                client.protocol.idle_queue.put_nowait(aioimaplib.STOP_WAIT_SERVER_PUSH)

    async def disconnect(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        if not self.connection_lost:
            with contextlib.suppress(Exception):
                if client.has_pending_idle():
                    client.idle_done()
                await asyncio.wait_for(client.logout(), 2)
        with contextlib.suppress(Exception):
            transport = client.protocol.transport
            if transport is not None:
                transport.close()

    # ------------------------------------------------------------------ synchronisation

    async def sync(self, deliver: Deliver) -> int:
        """Deliver everything new; returns how many messages were delivered."""
        self.changed = False
        cursor = Cursor.load(await self.state.get(self.cursor_key))
        if cursor is None or cursor.uidvalidity != self.uidvalidity:
            count = await self._resync(deliver, cursor)
        else:
            found = await self._search(f"UID {cursor.last_uid + 1}:*")
            # servers answer "n:*" with the last message even when n > its UID: filter
            uids = [uid for uid in found if uid > cursor.last_uid]
            count = await self._deliver_uids(uids, deliver)
        self.syncs += 1
        self.failures = 0  # a full synchronisation worked: the next error starts a new backoff
        return count

    async def _resync(self, deliver: Deliver, old: Cursor | None) -> int:
        since = datetime.fromtimestamp(self.clock(), tz=UTC) - timedelta(
            days=self.settings.imap_backfill_days
        )
        log.warning(
            "e-mail poller: %s for %s; re-reading mail since %s (duplicates are dropped by Message-ID)",
            "first start" if old is None else f"UIDVALIDITY changed {old.uidvalidity} -> {self.uidvalidity}",
            self.settings.mailbox_key,
            imap_date(since),
        )
        # everything below UIDNEXT (from SELECT) is old; ask for all UIDs only if it is unknown
        all_uids = await self._search("ALL") if not self.uidnext else []
        recent = await self._search(f"SINCE {imap_date(since)}")
        count = await self._deliver_uids(recent, deliver)
        baseline = max([self.uidnext - 1, *all_uids, *recent, 0])
        await self._save(baseline)
        return count

    async def _deliver_uids(self, uids: Sequence[int], deliver: Deliver) -> int:
        count = 0
        ordered = sorted(set(uids))
        batch_size = self.settings.imap_fetch_batch
        for start in range(0, len(ordered), batch_size):
            batch = ordered[start : start + batch_size]
            messages = await self._fetch(batch)
            if messages:
                await deliver(messages)  # returns once stored: only then move the cursor
            await self._save(batch[-1])
            count += len(messages)
        return count

    async def _save(self, last_uid: int) -> None:
        await self.state.set(self.cursor_key, Cursor(self.uidvalidity, last_uid).dump())

    async def _search(self, criteria: str) -> list[int]:
        client = self._client()
        response = _ok(await client.uid_search(criteria, charset=None), f"UID SEARCH {criteria}")
        uids: list[int] = []
        for line in response.lines:
            text = bytes(line).strip()
            if re.fullmatch(rb"[\d ]+", text):
                uids.extend(int(x) for x in text.split())
        return uids

    async def _fetch(self, uids: Sequence[int]) -> list[InboundMessage]:
        client = self._client()
        uid_set = ",".join(str(u) for u in uids)
        sizes = parse_fetch(_ok(await client.uid("fetch", uid_set, "(UID RFC822.SIZE)"), "UID FETCH").lines)
        small = [u for u in uids if (sizes.get(u, (0, None))[0] or 0) <= self.settings.max_message_bytes]
        big = [u for u in uids if u not in small]
        bodies: dict[int, tuple[int | None, bytes | None]] = {}
        if small:
            ids = ",".join(str(u) for u in small)
            bodies.update(
                parse_fetch(_ok(await client.uid("fetch", ids, "(UID BODY.PEEK[])"), "UID FETCH").lines)
            )
        if big:
            ids = ",".join(str(u) for u in big)
            heads = _ok(await client.uid("fetch", ids, "(UID BODY.PEEK[HEADER])"), "UID FETCH").lines
            bodies.update(parse_fetch(heads))
        out = []
        for uid in uids:
            raw = bodies.get(uid, (None, None))[1]
            if raw is None:  # expunged between SEARCH and FETCH
                continue
            out.append(self._message(uid, raw, body_omitted=uid in big, size=sizes.get(uid, (None, None))[0]))
        return out

    def _message(self, uid: int, raw: bytes, *, body_omitted: bool, size: int | None) -> InboundMessage:
        extra: dict[str, Any] = {
            "imap_uid": uid,
            "uidvalidity": self.uidvalidity,
            "mailbox": self.settings.imap_mailbox,
        }
        if body_omitted:
            extra.update(
                body_omitted=True,
                size=size,
                reason=f"Thư quá lớn ({size} byte); chỉ lưu phần đầu thư, "
                "nội dung xem trực tiếp trong hộp thư.",
            )
        try:
            message = self.parse(raw)
        except Exception as err:  # a bad message must never block the mailbox
            if not isinstance(err, PayloadError):
                log.exception("e-mail parser failed on UID %s", uid)
            return unparseable_message(raw, str(err), extra)
        return dataclasses.replace(message, raw={**message.raw, **extra})

    async def _wait_for_news(self, budget: float) -> None:
        if budget <= 0:
            return
        if not self.idle_supported:
            await self.sleep(min(self.settings.imap_poll_interval, budget))
            return
        client = self._client()
        wait = min(self.settings.imap_idle_timeout, budget)
        idle = await client.idle_start(timeout=wait)
        try:
            while not self.connection_lost:
                push = await client.wait_server_push(timeout=wait + 5)
                if push == aioimaplib.STOP_WAIT_SERVER_PUSH:
                    break
                if any(b"EXISTS" in line or b"EXPUNGE" in line for line in push):
                    break  # new mail (or a change): synchronise
        finally:
            if self.connection_lost:
                idle.cancel()
            else:
                if client.has_pending_idle():
                    client.idle_done()
                await asyncio.wait_for(idle, self.settings.timeout)
        if self.connection_lost:
            raise ImapError("the server closed the connection")

    def _client(self) -> aioimaplib.IMAP4:
        if self.client is None:
            raise ImapError("not connected")
        if self.connection_lost:
            raise ImapError("the server closed the connection")
        return self.client


def unparseable_message(raw: bytes, error: str, extra: dict[str, Any]) -> InboundMessage:
    """What is delivered for bytes the parser refused: the original kept as a file."""
    return InboundMessage(
        channel="email",
        kind=EventKind.UNKNOWN,
        external_user_id="unknown@invalid",
        channel_message_id=synthetic_message_id(raw),
        attachments=(
            Attachment(kind="file", name="thu-goc.eml", size=len(raw), mime_type="message/rfc822", data=raw),
        ),
        auto_generated=True,
        raw_type="unparseable",
        raw={"error": error, **extra},
    )


def _ok(response: Any, what: str) -> Any:
    if getattr(response, "result", None) != "OK":
        lines = b" ".join(
            bytes(x) for x in getattr(response, "lines", []) if isinstance(x, bytes | bytearray)
        )
        raise ImapError(f"{what} failed: {getattr(response, 'result', '?')} {lines[:200]!r}")
    return response
