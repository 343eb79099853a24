"""Pure rules of campaigns: allowed hours in the hotline's time zone, districts from
addresses (the province's list is a setting, never hard-wired), and the compose checks with
their Vietnamese messages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from campaigns import districts, rules, settings
from campaigns.errors import CampaignError
from campaigns.schedule import allowed, next_opening

CFG = settings.load({})
THANH_HOA = districts.load(CFG.districts_file)


def local(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=CFG.timezone)


@pytest.mark.parametrize(
    ("hour", "minute", "ok"),
    [
        (5, 59, False),
        (6, 0, True),
        (12, 0, True),
        (21, 59, True),
        (22, 0, False),
        (23, 30, False),
        (0, 0, False),
    ],
)
def test_allowed_hours_are_local_time(hour: int, minute: int, ok: bool) -> None:
    assert allowed(local(hour, minute).astimezone(UTC), CFG) is ok


def test_next_opening() -> None:
    assert next_opening(local(23, 0), CFG) == local(6, 0, day=2)
    assert next_opening(local(3, 0), CFG) == local(6, 0)
    assert next_opening(local(9, 0), CFG) == local(9, 0)


def test_hours_and_zone_are_settings() -> None:
    cfg = settings.load({"HUB_CAMPAIGN_HOURS": "08:00-17:30", "HUB_CAMPAIGN_TIMEZONE": "Asia/Bangkok"})
    assert allowed(datetime(2027, 3, 1, 1, 0, tzinfo=UTC), cfg) is True  # 08:00 in Bangkok
    assert allowed(datetime(2027, 3, 1, 0, 59, tzinfo=UTC), cfg) is False
    with pytest.raises(settings.CampaignSettingsError, match="HUB_CAMPAIGN_HOURS"):
        settings.load({"HUB_CAMPAIGN_HOURS": "22:00-06:00"})
    with pytest.raises(settings.CampaignSettingsError, match="HUB_CAMPAIGN_CONCURRENCY"):
        settings.load({"HUB_CAMPAIGN_CONCURRENCY": "nhiều"})


@pytest.mark.parametrize(
    ("address", "found"),
    [
        ("Xã Hoằng Đạo, huyện Hoằng Hoá, tỉnh Thanh Hóa", ["Huyện Hoằng Hóa"]),
        ("12 Lê Lợi, P. Điện Biên, TP. Thanh Hóa", ["Thành phố Thanh Hóa"]),
        ("phường Trung Sơn, thanh pho sam son", ["Thành phố Sầm Sơn"]),
        ("Thôn 3, xã Hải Lĩnh, Nghi Sơn, Thanh Hóa", ["Thị xã Nghi Sơn"]),
        ("Số 5, Thanh Hóa", []),  # the province alone names no district
        ("Xã Đông Sơnh, Hà Nội", []),  # whole words only
        ("Huyện Đông Anh, Hà Nội", []),
        (None, []),
    ],
)
def test_districts_from_addresses(address: str | None, found: list[str]) -> None:
    assert districts.districts_of(address, THANH_HOA) == found


def test_another_province_brings_its_own_list(tmp_path: Path) -> None:
    path = tmp_path / "nghe-an.txt"
    path.write_text(
        "# Nghệ An\nThành phố Vinh | TP Vinh | Vinh\nHuyện Nghi Lộc | Nghi Lộc\n", encoding="utf-8"
    )
    cfg = settings.load({"HUB_CAMPAIGN_DISTRICTS_FILE": str(path)})
    own = districts.load(cfg.districts_file)
    assert [d.name for d in own] == ["Thành phố Vinh", "Huyện Nghi Lộc"]
    assert districts.districts_of("Khối 3, phường Hưng Bình, TP. Vinh", own) == ["Thành phố Vinh"]
    assert districts.districts_of("Huyện Hoằng Hóa", own) == []
    with pytest.raises(districts.DistrictListError, match="Không đọc được"):
        districts.load(tmp_path / "missing.txt")


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "channel": "zalo",
        "title": "Lịch tiêm chủng",
        "text": "Tiêm vắc-xin sởi ngày 5/3.",
    }
    return {**base, **changes}


def check(data: dict[str, Any]) -> rules.CampaignInput:
    return rules.validate(data, ["zalo"], THANH_HOA, CFG.timezone)


def test_a_valid_promotion() -> None:
    made = check(
        body(
            link_url="https://thanhhoa.gov.vn/tiem-chung",
            link_title="Xem lịch",
            audience={"kind": "district", "districts": ["Huyện Hoằng Hóa"]},
            scheduled_at="2027-03-05T08:00",
        )
    )
    assert made.kind == "promotion" and made.audience == {
        "kind": "district",
        "districts": ["Huyện Hoằng Hóa"],
    }
    assert made.scheduled_at == datetime(2027, 3, 5, 8, 0, tzinfo=CFG.timezone)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (body(channel="webchat"), "không gửi được thông báo"),
        (body(title=""), "Thiếu trường title"),
        (body(text="x" * 1001), "quá dài: 1001 ký tự \\(tối đa 1000\\)"),
        (body(image_url="ftp://x/y.png"), "image_url phải là địa chỉ http\\(s\\)"),
        (body(link_title="Xem"), "phải có địa chỉ liên kết"),
        (
            body(audience={"kind": "district", "districts": ["Quận 1"]}),
            "Không có trong danh sách huyện/quận: Quận 1",
        ),
        (body(audience={"kind": "interaction", "days": 0}), "từ 1 đến 365"),
        (body(audience={"kind": "mọi người"}), "all, tag, district hoặc interaction"),
        (body(audience={"kind": "tag", "tags": []}), "audience.tags"),
        (body(scheduled_at="mai"), "scheduled_at"),
        (body(kind="article"), "Bài viết \\(article\\)"),
        (
            body(kind="article", article={"title": "a", "description": "b", "body": "c"}, target={"tuổi": 1}),
            "target",
        ),
    ],
)
def test_bad_input_gets_a_clear_vietnamese_error(data: dict[str, Any], message: str) -> None:
    with pytest.raises(CampaignError, match=message) as caught:
        check(data)
    assert caught.value.status == 400


def test_an_article_with_a_target() -> None:
    made = check(
        body(
            kind="article",
            article={"title": "T", "description": "D", "body": "B"},
            target={"gender": "2", "age": 3},
        )
    )
    assert made.article == {"title": "T", "description": "D", "body": "B", "author": ""}
    assert made.target == {"gender": "2", "age": "3"} and made.audience == {"kind": "target"}
