"""The e-mail channel's settings (the ``email`` section of ``credentials.yml``).

Required: ``address``, ``imap_host``, ``imap_user``, ``imap_password``, ``smtp_host``
(env ``EMAIL_ADDRESS``, ``EMAIL_IMAP_HOST``, ``EMAIL_IMAP_USER``, ``EMAIL_IMAP_PASSWORD``,
``EMAIL_SMTP_HOST``). ``smtp_user``/``smtp_password`` may be empty for a relay without
authentication. Values come as strings after ``${VAR}`` expansion: booleans are
``true``/``false`` (also ``1/0``, ``yes/no``, ``on/off``), ports are integers.

Optional keys not in ``credentials.yml`` (sensible defaults): ``display_name``,
``smtp_ssl`` (implicit TLS; default: port 465), ``imap_ca_file``/``smtp_ca_file`` (trust a
private CA), ``imap_poll_interval`` (s, when the server lacks IDLE), ``imap_idle_timeout``
(s, re-issue IDLE), ``imap_backfill_days``, ``imap_fetch_batch``, ``imap_use_idle``,
``lock_ttl``, ``lock_retry``, ``ticket_pattern``, ``max_attachment_bytes``,
``max_total_attachment_bytes``, ``max_message_bytes``, ``timeout``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.base import ChannelNotConfigured
from connectors.email.parts import MimeLimits

REQUIRED = ("address", "imap_host", "imap_user", "imap_password", "smtp_host")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_name(key: str) -> str:
    return f"EMAIL_{key.upper()}"


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

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> EmailSettings:
        """Validate the section; :class:`ChannelNotConfigured` names what is missing or wrong."""
        values = {k: v for k, v in settings.items() if v is not None and str(v).strip() != ""}
        missing = [env_name(k) for k in REQUIRED if k not in values]
        if missing:
            raise ChannelNotConfigured("Kênh e-mail tắt: thiếu biến môi trường " + ", ".join(missing) + ".")
        address = str(values["address"]).strip()
        if "@" not in address:
            raise ChannelNotConfigured(f"Kênh e-mail tắt: {env_name('address')} không phải địa chỉ e-mail.")
        smtp_port = _int(values, "smtp_port", 587)
        defaults = MimeLimits()
        limits = MimeLimits(
            max_attachment_bytes=_int(values, "max_attachment_bytes", defaults.max_attachment_bytes),
            max_total_attachment_bytes=_int(
                values, "max_total_attachment_bytes", defaults.max_total_attachment_bytes
            ),
        )
        return cls(
            address=address,
            imap_host=str(values["imap_host"]).strip(),
            imap_user=str(values["imap_user"]),
            imap_password=str(values["imap_password"]),
            smtp_host=str(values["smtp_host"]).strip(),
            imap_port=_int(values, "imap_port", 993),
            imap_ssl=_bool(values, "imap_ssl", True),
            imap_mailbox=str(values.get("imap_mailbox", "INBOX")),
            smtp_port=smtp_port,
            smtp_starttls=_bool(values, "smtp_starttls", True),
            smtp_ssl=_bool(values, "smtp_ssl", smtp_port == 465),
            smtp_user=_str_or_none(values, "smtp_user"),
            smtp_password=_str_or_none(values, "smtp_password"),
            display_name=str(values.get("display_name", "Tổng đài 1022")),
            imap_ca_file=_str_or_none(values, "imap_ca_file"),
            smtp_ca_file=_str_or_none(values, "smtp_ca_file"),
            imap_poll_interval=_float(values, "imap_poll_interval", 60.0),
            imap_idle_timeout=_float(values, "imap_idle_timeout", 25 * 60.0),
            imap_use_idle=_bool(values, "imap_use_idle", True),
            imap_backfill_days=_int(values, "imap_backfill_days", 7),
            imap_fetch_batch=max(1, _int(values, "imap_fetch_batch", 20)),
            lock_ttl=_float(values, "lock_ttl", 60.0),
            lock_retry=_float(values, "lock_retry", 15.0),
            ticket_pattern=_str_or_none(values, "ticket_pattern"),
            timeout=_float(values, "timeout", 30.0),
            max_message_bytes=_int(values, "max_message_bytes", 40 * 1024 * 1024),
            limits=limits,
        )


def _bool(values: Mapping[str, Any], key: str, default: bool) -> bool:
    value = values.get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ChannelNotConfigured(f"Kênh e-mail tắt: {env_name(key)}={value!r} phải là true hoặc false.")


def _int(values: Mapping[str, Any], key: str, default: int) -> int:
    value = values.get(key, default)
    try:
        return int(str(value).strip())
    except ValueError:
        raise ChannelNotConfigured(f"Kênh e-mail tắt: {env_name(key)}={value!r} phải là số nguyên.") from None


def _float(values: Mapping[str, Any], key: str, default: float) -> float:
    value = values.get(key, default)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ChannelNotConfigured(f"Kênh e-mail tắt: {env_name(key)}={value!r} phải là số.") from None


def _str_or_none(values: Mapping[str, Any], key: str) -> str | None:
    value = values.get(key)
    return str(value) if value is not None and str(value) != "" else None
