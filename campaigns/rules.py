"""What a campaign may contain, checked before it is stored: the officer gets a clear
Vietnamese message naming the field, and nothing is half-saved.

Limits relied on (Zalo OA's promotion template and article API, see docs/campaigns.md):
a promotion's title ≤ 100 characters, its text ≤ 1000, a button (link) title ≤ 100; an
article's title ≤ 150, description ≤ 300, body ≤ 50,000; the broadcast target's keys are
city, age, gender, platform, location (Zalo's codes), at least one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

from campaigns.districts import District
from campaigns.errors import CampaignError

KINDS = {"promotion": "tin truyền thông", "article": "bài viết"}
AUDIENCES = ("all", "tag", "district", "interaction")
TARGET_KEYS = ("city", "age", "gender", "platform", "location")
LIMITS = {
    "title": 100,
    "text": 1000,
    "link_title": 100,
    "article.title": 150,
    "article.description": 300,
    "article.body": 50_000,
    "article.author": 50,
    "url": 1000,
    "tag": 60,
}
MAX_TAGS = 20
MAX_DAYS = 365


@dataclass
class CampaignInput:
    channel: str
    kind: str
    title: str
    text: str = ""
    image_url: str | None = None
    link_url: str | None = None
    link_title: str | None = None
    article: dict[str, str] | None = None
    target: dict[str, str] | None = None
    audience: dict[str, Any] = field(default_factory=lambda: {"kind": "all"})
    scheduled_at: datetime | None = None


def validate(
    body: Mapping[str, Any], channels: list[str], districts: tuple[District, ...], zone: tzinfo
) -> CampaignInput:
    """A campaign from the console's JSON body; ``channels``: those that can broadcast."""
    channel = _text(body, "channel", 32, required=True)
    if channel not in channels:
        raise CampaignError(
            f"Kênh {channel!r} không gửi được thông báo (có: {', '.join(channels) or 'không'})"
        )
    kind = _text(body, "kind", 20) or "promotion"
    if kind not in KINDS:
        raise CampaignError("Loại thông báo phải là 'promotion' (tin truyền thông) hoặc 'article' (bài viết)")
    made = CampaignInput(
        channel=channel, kind=kind, title=_text(body, "title", LIMITS["title"], required=True)
    )
    made.scheduled_at = _when(body.get("scheduled_at"), zone)
    if kind == "promotion":
        made.text = _text(body, "text", LIMITS["text"], required=True)
        made.image_url = _url(body, "image_url")
        made.link_url = _url(body, "link_url")
        made.link_title = _text(body, "link_title", LIMITS["link_title"]) or None
        if made.link_title and not made.link_url:
            raise CampaignError("Có tiêu đề liên kết thì phải có địa chỉ liên kết (link_url)")
        made.audience = audience(body.get("audience"), districts)
    else:
        made.article = _article(body.get("article"))
        made.target = _target(body.get("target"))
        made.audience = {"kind": "target"}
    return made


def audience(raw: Any, districts: tuple[District, ...]) -> dict[str, Any]:
    raw = raw if raw is not None else {"kind": "all"}
    if not isinstance(raw, dict):
        raise CampaignError('Trường audience phải là một đối tượng, ví dụ {"kind": "all"}')
    kind = raw.get("kind", "all")
    if kind == "all":
        return {"kind": "all"}
    if kind == "tag":
        tags = _names(
            [t.lower() if isinstance(t, str) else t for t in raw.get("tags") or []], "tags", LIMITS["tag"]
        )
        return {"kind": "tag", "tags": list(dict.fromkeys(" ".join(t.split()) for t in tags))}
    if kind == "district":
        names = _names(raw.get("districts"), "districts", 200)
        known = {d.name for d in districts}
        if unknown := [n for n in names if n not in known]:
            raise CampaignError(f"Không có trong danh sách huyện/quận: {', '.join(unknown)}")
        return {"kind": "district", "districts": names}
    if kind == "interaction":
        days = raw.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
            raise CampaignError(f"Số ngày tương tác gần nhất (days) phải là số nguyên từ 1 đến {MAX_DAYS}")
        return {"kind": "interaction", "days": days}
    raise CampaignError("Đối tượng nhận (audience.kind) phải là: all, tag, district hoặc interaction")


def _names(raw: Any, key: str, max_len: int) -> list[str]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_TAGS:
        raise CampaignError(f"Trường audience.{key} phải là danh sách từ 1 đến {MAX_TAGS} mục")
    names: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > max_len:
            raise CampaignError(f"Mỗi mục của audience.{key} phải là chuỗi khác rỗng, tối đa {max_len} ký tự")
        if item.strip() not in names:
            names.append(item.strip())
    return names


def _text(body: Mapping[str, Any], key: str, max_len: int, *, required: bool = False) -> str:
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CampaignError(f"Thiếu trường {key}")
        return ""
    if not isinstance(value, str):
        raise CampaignError(f"Trường {key} phải là chuỗi")
    value = value.strip()
    if len(value) > max_len:
        raise CampaignError(f"Trường {key} quá dài: {len(value)} ký tự (tối đa {max_len})")
    return value


def _url(body: Mapping[str, Any], key: str) -> str | None:
    value = _text(body, key, LIMITS["url"])
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CampaignError(f"Trường {key} phải là địa chỉ http(s) đầy đủ")
    return value


def _article(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise CampaignError("Bài viết (article) phải có title, description, body")
    got = {k: _text(raw, k, LIMITS[f"article.{k}"], required=True) for k in ("title", "description", "body")}
    got["author"] = _text(raw, "author", LIMITS["article.author"])
    cover = _url(raw, "cover_url")
    if cover:
        got["cover_url"] = cover
    return got


def _target(raw: Any) -> dict[str, str]:
    if not raw:
        raise CampaignError('Bài viết cần đối tượng nhận (target), ví dụ {"gender": "0"} cho mọi người')
    if not isinstance(raw, dict) or any(k not in TARGET_KEYS for k in raw):
        raise CampaignError(f"Đối tượng bài viết (target) chỉ gồm: {', '.join(TARGET_KEYS)}")
    target: dict[str, str] = {}
    for key, value in raw.items():
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if not text or len(text) > 50:
            raise CampaignError(f"Giá trị target.{key} không hợp lệ")
        target[key] = text
    return target


def _when(raw: Any, zone: tzinfo) -> datetime | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise CampaignError("Thời điểm gửi (scheduled_at) phải là chuỗi ISO 8601")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError as err:
        raise CampaignError("Thời điểm gửi (scheduled_at) không hợp lệ (ISO 8601)") from err
    if not 2000 <= when.year <= 2999:
        raise CampaignError("Thời điểm gửi (scheduled_at): năm phải từ 2000 đến 2999")
    local = when if when.tzinfo else when.replace(tzinfo=zone)
    return local.astimezone(UTC)  # stored in UTC: SQLite keeps no offset and reads UTC back
