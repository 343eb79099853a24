"""A real ``aiosmtpd`` SMTP server on loopback for tests.

It accepts mail like an MTA: every message is recorded in :attr:`SmtpServer.received`
(envelope, raw bytes, whether ``SMTPUTF8`` was used), and a message to an address listed in
``mailboxes`` is delivered into that Dovecot user's mailbox with IMAP ``APPEND``, after
prepending ``Return-Path`` and ``Received`` headers as a real MTA does (so a bounce with
the empty reverse path arrives with ``Return-Path: <>``).

Faults can be scripted: ``rcpt_replies[address] = "550 5.1.1 ..."`` refuses a recipient,
``data_replies`` (a list, consumed in order) answers the next DATA commands with e.g.
``"451 4.3.0 try later"``. Options: ``smtputf8`` (advertise SMTPUTF8), ``auth`` (a
``(user, password)`` pair to require; over plain text unless STARTTLS is offered), ``tls_cert``
(a ``(cert, key)`` pair to offer STARTTLS).

Usage::

    async with SmtpServer(mailboxes={"1022@hotline.test": (dovecot, "hotline")}) as smtp:
        await send_raw(smtp, raw_bytes, "citizen@example.vn", ["1022@hotline.test"])
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from devtools.dovecot import DovecotServer


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    smtputf8: bool
    mail_options: list[str]
    at: float = field(default_factory=time.time)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.server.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.data_replies:
            return self.server.data_replies.pop(0)
        content = envelope.original_content or b""
        item = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            content=content,
            smtputf8=bool(envelope.smtp_utf8),
            mail_options=list(envelope.mail_options),
        )
        self.server.received.append(item)
        for rcpt in envelope.rcpt_tos:
            target = self.server.mailboxes.get(rcpt.lower())
            if target is not None:
                dovecot, user = target
                trace = (
                    f"Return-Path: <{envelope.mail_from or ''}>\r\n"
                    f"Received: from {session.host_name or 'unknown'} by smtp.test (aiosmtpd) "
                    f"for <{rcpt}>; {formatdate(localtime=True)}\r\n"
                ).encode()
                await asyncio.to_thread(dovecot.append, user, trace + content)
        self.server.arrived.set()
        return "250 Message accepted for delivery"


class SmtpServer:
    host = "127.0.0.1"

    def __init__(
        self,
        mailboxes: dict[str, tuple[DovecotServer, str]] | None = None,
        *,
        smtputf8: bool = True,
        auth: tuple[str, str] | None = None,
        tls_cert: tuple[Path, Path] | None = None,
    ) -> None:
        self.mailboxes = {k.lower(): v for k, v in (mailboxes or {}).items()}
        self.smtputf8 = smtputf8
        self.auth = auth
        self.tls_cert = tls_cert
        self.received: list[Received] = []
        self.rcpt_replies: dict[str, str] = {}
        self.data_replies: list[str] = []
        self.arrived = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> SmtpServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            self.auth is not None
            and isinstance(data, LoginPassword)
            and (data.login.decode(), data.password.decode()) == self.auth
        )
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    def _protocol(self) -> SMTP:
        context = None
        if self.tls_cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls_cert[0]), str(self.tls_cert[1]))
        return SMTP(
            _Handler(self),
            hostname="smtp.test",
            enable_SMTPUTF8=self.smtputf8,
            decode_data=False,
            authenticator=self._authenticate if self.auth else None,
            auth_required=self.auth is not None,
            auth_require_tls=self.tls_cert is not None,  # AUTH only after STARTTLS when offered
            tls_context=context,
            require_starttls=False,
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until ``count`` messages were accepted."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.received) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"only {len(self.received)} of {count} messages arrived")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                continue
        return self.received


async def send_raw(server: SmtpServer, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
    """Submit a citizen's mail over SMTP (as their provider's MTA would). An empty
    ``mail_from`` sends the null reverse path ``MAIL FROM:<>`` of bounces."""
    client = aiosmtplib.SMTP(hostname=server.host, port=server.port, start_tls=False, timeout=10)
    async with client:
        if server.auth:
            await client.login(*server.auth)
        await client.ehlo()
        await client.mail(mail_from)
        for rcpt in rcpt_tos:
            await client.rcpt(rcpt)
        await client.data(raw)
