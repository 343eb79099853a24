"""Download links of a citizen's copy (issue 18, "View / copy"): the ONE writer of
``data_copy_links``.

The answer to a view or copy request carries a link to ``/yeu-cau-du-lieu/ban-sao/{token}``
where the citizen downloads the export (JSON, .xlsx, PDF), made from the data as it is at
the download. The link goes only where the answer goes (the request's channel, or the public
form's status lookup after its proof); the token is 32 random bytes and only its SHA-256 is
kept. A link dies after ``HUB_DATA_COPY_LINK_DAYS`` days (14) or
``HUB_DATA_COPY_LINK_DOWNLOADS`` downloads (20), and with the contact's anonymisation or the
request's deletion (:func:`forget`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import as_utc
from storage.models_privacy import DataCopyLink, DataRequest

PATH = "/yeu-cau-du-lieu/ban-sao/"
ACT = "data_copy_link"  # the meta act of the message that carries a link (hidden from staff)
TOKEN_CHARS = 43  # secrets.token_urlsafe(32)
HIDDEN = "…(ẩn với cán bộ)"
_LINK = re.compile(re.escape(PATH) + r"[A-Za-z0-9_-]+")


class LinkError(Exception):
    """A link that does not open (Vietnamese message, HTTP status)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LinkPolicy:
    days: int = 14
    downloads: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LinkPolicy:
        def number(name: str, default: int) -> int:
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            if not raw.isdigit() or not 1 <= int(raw) <= 3650:
                raise ValueError(f"{name} phải là số nguyên từ 1 đến 3650 (đang là {raw!r})")
            return int(raw)

        return cls(number("HUB_DATA_COPY_LINK_DAYS", 14), number("HUB_DATA_COPY_LINK_DOWNLOADS", 20))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{PATH}{token}"


def hidden(text: str | None) -> str | None:
    """``text`` with every link's token replaced (what staff see of such a message: the copy
    is the citizen's; supervisors export it in the console, audited)."""
    if not text:
        return text
    return _LINK.sub(PATH + HIDDEN, text)


def for_staff(message: dict[str, Any]) -> dict[str, Any]:
    """A serialised message as the console shows it: the token hidden when it carries one."""
    if message.get("act") != ACT:
        return message
    return message | {"text": hidden(message.get("text"))}


def link_text(public_url: str, token: str, expires: dt.datetime, tz: dt.tzinfo) -> str:
    """The paragraph of an answer that carries the link."""
    day = expires.astimezone(tz)
    return (
        f"Bản sao đầy đủ (tệp Excel, PDF và JSON) tải tại: {url(public_url, token)}\n"
        f"Đường dẫn dành riêng cho anh/chị, hiệu lực đến {day:%H:%M ngày %d/%m/%Y}; "
        "xin không chia sẻ cho người khác."
    )


async def issue(
    s: AsyncSession, req: DataRequest, now: dt.datetime, policy: LinkPolicy
) -> tuple[str, dt.datetime]:
    """A new link for ``req``'s contact: ``(token, expires_at)``. The token is not stored."""
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(days=policy.days)
    s.add(
        DataCopyLink(
            request_id=req.id,
            contact_id=req.contact_id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=expires,
            downloads=0,
        )
    )
    await s.flush()
    return token, expires


async def find(s: AsyncSession, token: str, now: dt.datetime, policy: LinkPolicy) -> DataCopyLink:
    """The live link of ``token`` (locked), or :class:`LinkError`."""
    if len(token) != TOKEN_CHARS:
        raise LinkError("Đường dẫn tải bản sao không đúng", 404)
    q = select(DataCopyLink).where(DataCopyLink.token_hash == _hash(token)).with_for_update()
    link = (await s.execute(q)).scalar_one_or_none()
    if link is None:
        raise LinkError("Đường dẫn tải bản sao không đúng hoặc không còn hiệu lực", 404)
    if (as_utc(link.expires_at) or link.expires_at) <= now:
        raise LinkError("Đường dẫn tải bản sao đã hết hạn: hãy gửi yêu cầu mới", 410)
    if link.downloads >= policy.downloads:
        raise LinkError("Đường dẫn tải bản sao đã được dùng hết số lần cho phép: hãy gửi yêu cầu mới", 410)
    return link


def count_download(link: DataCopyLink, now: dt.datetime) -> None:
    link.downloads += 1
    link.last_download_at = now


async def forget(s: AsyncSession, *, contact_ids: Sequence[int] = (), request_ids: Sequence[int] = ()) -> int:
    """Delete the links of these contacts or requests (anonymisation, retention)."""
    if not contact_ids and not request_ids:
        return 0
    res = await s.execute(
        delete(DataCopyLink).where(
            or_(DataCopyLink.contact_id.in_(contact_ids), DataCopyLink.request_id.in_(request_ids))
        )
    )
    return int(res.rowcount or 0)  # type: ignore[attr-defined]
