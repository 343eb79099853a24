"""The e-mail channel's settings (the ``email`` section of ``credentials.yml``): ``load(section)``.

``SCHEMA`` lists every key with its variable (``EMAIL_<KEY>``, named in error messages) and
default; ``credentials.yml`` reads the required ones and the IMAP/SMTP basics, the others
may be added to the section. ``smtp_user``/``smtp_password`` may be empty for a relay without
authentication. Values come as strings after ``${VAR}`` expansion: booleans are
``true``/``false`` (also ``1/0``, ``yes/no``, ``on/off``), ports are integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.base import ChannelNotConfigured
from connectors.email.parts import MimeLimits
from connectors.settings import Key, Section

_LIMITS = MimeLimits()


def _key(name: str, default: Any = None, meaning: str = "", *, required: bool = False) -> Key:
    return Key(name, f"EMAIL_{name.upper()}", required=required, default=default, meaning=meaning)


SCHEMA = (
    _key("address", meaning="its domain is our Message-ID domain", required=True),
    _key("imap_host", required=True),
    _key("imap_port", 993),
    _key("imap_ssl", True, "implicit TLS"),
    _key("imap_user", required=True),
    _key("imap_password", required=True),
    _key("imap_mailbox", "INBOX"),
    _key("smtp_host", required=True),
    _key("smtp_port", 587),
    _key("smtp_starttls", True),
    _key("smtp_ssl", None, "implicit TLS; default: true on port 465"),
    _key("smtp_user", None, "empty: no SMTP AUTH"),
    _key("smtp_password", None, "empty: no SMTP AUTH"),
    _key("display_name", "Tổng đài 1022", "the From name"),
    _key("imap_ca_file", None, "trust a private CA"),
    _key("smtp_ca_file", None, "trust a private CA"),
    _key("imap_poll_interval", 60.0, "seconds, servers without IDLE"),
    _key("imap_idle_timeout", 25 * 60.0, "seconds; RFC 2177: re-issue IDLE before 29 minutes"),
    _key("imap_use_idle", True),
    _key("imap_backfill_days", 7),
    _key("imap_fetch_batch", 20, "at least 1"),
    _key("lock_ttl", 60.0, "seconds"),
    _key("lock_retry", 15.0, "seconds"),
    _key("ticket_pattern", None, "regex with a `code` group"),
    _key("max_attachment_bytes", _LIMITS.max_attachment_bytes),
    _key("max_total_attachment_bytes", _LIMITS.max_total_attachment_bytes),
    _key("max_message_bytes", 40 * 1024 * 1024),
    _key("timeout", 30.0, "seconds"),
)
NOT_A_BOOL = "Kênh e-mail tắt: {env}={value!r} phải là true hoặc false."
NOT_AN_INT = "Kênh e-mail tắt: {env}={value!r} phải là số nguyên."
NOT_A_NUMBER = "Kênh e-mail tắt: {env}={value!r} phải là số."


@dataclass(frozen=True, slots=True)
class EmailSettings:
    address: str
    imap_host: str
    imap_user: str
    imap_password: str
    smtp_host: str
    imap_port: int = 993
    imap_ssl: bool = True
    imap_mailbox: str = "INBOX"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    display_name: str = "Tổng đài 1022"
    imap_ca_file: str | None = None
    smtp_ca_file: str | None = None
    imap_poll_interval: float = 60.0
    imap_idle_timeout: float = 25 * 60.0  # RFC 2177: re-issue IDLE before 29 minutes
    imap_use_idle: bool = True
    imap_backfill_days: int = 7
    imap_fetch_batch: int = 20
    lock_ttl: float = 60.0
    lock_retry: float = 15.0
    ticket_pattern: str | None = None
    timeout: float = 30.0
    max_message_bytes: int = 40 * 1024 * 1024
    limits: MimeLimits = field(default_factory=MimeLimits)

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1].lower()

    @property
    def mailbox_key(self) -> str:
        """Identifies the mailbox across workers: ``user@host/INBOX``."""
        return f"{self.imap_user}@{self.imap_host}/{self.imap_mailbox}"


def load(settings: Mapping[str, Any]) -> EmailSettings:
    """Validate the section; :class:`ChannelNotConfigured` names what is missing or wrong."""
    section = Section(settings, SCHEMA)
    missing = [key.env for key in section.missing()]
    if missing:
        raise ChannelNotConfigured("Kênh e-mail tắt: thiếu biến môi trường " + ", ".join(missing) + ".")
    address = section.text("address")
    if "@" not in address:
        raise ChannelNotConfigured("Kênh e-mail tắt: EMAIL_ADDRESS không phải địa chỉ e-mail.")

    def integer(key: str) -> int:
        return section.integer(key, invalid=NOT_AN_INT)

    def number(key: str) -> float:
        return section.number(key, invalid=NOT_A_NUMBER)

    def boolean(key: str) -> bool:
        return section.boolean(key, invalid=NOT_A_BOOL)

    smtp_port = integer("smtp_port")
    return EmailSettings(
        address=address,
        imap_host=section.text("imap_host"),
        imap_user=section.text("imap_user", strip=False),
        imap_password=section.text("imap_password", strip=False),
        smtp_host=section.text("smtp_host"),
        imap_port=integer("imap_port"),
        imap_ssl=boolean("imap_ssl"),
        imap_mailbox=section.text("imap_mailbox", strip=False),
        smtp_port=smtp_port,
        smtp_starttls=boolean("smtp_starttls"),
        smtp_ssl=section.boolean("smtp_ssl", smtp_port == 465, invalid=NOT_A_BOOL),
        smtp_user=section.optional_text("smtp_user", strip=False),
        smtp_password=section.optional_text("smtp_password", strip=False),
        display_name=section.text("display_name", strip=False),
        imap_ca_file=section.optional_text("imap_ca_file", strip=False),
        smtp_ca_file=section.optional_text("smtp_ca_file", strip=False),
        imap_poll_interval=number("imap_poll_interval"),
        imap_idle_timeout=number("imap_idle_timeout"),
        imap_use_idle=boolean("imap_use_idle"),
        imap_backfill_days=integer("imap_backfill_days"),
        imap_fetch_batch=max(1, integer("imap_fetch_batch")),
        lock_ttl=number("lock_ttl"),
        lock_retry=number("lock_retry"),
        ticket_pattern=section.optional_text("ticket_pattern", strip=False),
        timeout=number("timeout"),
        max_message_bytes=integer("max_message_bytes"),
        limits=MimeLimits(
            max_attachment_bytes=integer("max_attachment_bytes"),
            max_total_attachment_bytes=integer("max_total_attachment_bytes"),
        ),
    )
