"""The Zalo broadcaster against the simulator over loopback: promotions and Zalo's rules, the
quota, the follower list, articles, token refresh, and every error code's broadcast error."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from connectors.broadcast import (
    Article,
    Broadcaster,
    BroadcastError,
    CampaignHalted,
    Promotion,
    Quota,
    RecipientSkipped,
    RetryLater,
    broadcaster_of,
)
from connectors.zalo import ZaloConnector
from connectors.zalo.errors import ZaloAPIError
from devtools.clock import FakeClock
from devtools.zalo import Fault, ZaloSimulator
from tests.connectors.zalo.conftest import USER_ID, MakeConnector

HOUR = 3600.0
DAY = 24 * HOUR
VN = 7 * HOUR
NOTICE = Promotion(
    "Lịch tiêm chủng tháng 12\nTrạm y tế phường tiêm vắc xin sởi từ 8 giờ sáng thứ Bảy.",
    image_url="https://example.org/banner.jpg",
    link_url="https://example.org/lich-tiem",
    link_title="Xem lịch",
)


def set_local(clock: FakeClock, hour: float, *, days: int = 0) -> None:
    """Move the clock to ``hour`` o'clock Vietnam time, ``days`` local days from today."""
    midnight = (clock() + VN) // DAY * DAY - VN
    clock.seconds = midnight + days * DAY + hour * HOUR


@pytest.fixture
def broadcaster(connector: ZaloConnector) -> Broadcaster:
    found = broadcaster_of(connector)
    assert found is not None
    return found


def vendor_code(err: BroadcastError) -> int:
    cause = err.__cause__
    assert isinstance(cause, ZaloAPIError), cause
    return cause.code


# --------------------------------------------------------------------------- capability


def test_only_a_connector_with_a_broadcaster_has_one(connector: ZaloConnector) -> None:
    assert isinstance(broadcaster_of(connector), Broadcaster)
    assert broadcaster_of(object()) is None


# --------------------------------------------------------------------------- promotions


async def test_promotion_goes_out_as_zalo_promotion_template(
    sim: ZaloSimulator, broadcaster: Broadcaster
) -> None:
    message_id = await broadcaster.send_promotion(USER_ID, NOTICE)
    [sent] = sim.promotions
    assert sent.message_id == message_id and sent.user_id == USER_ID
    assert sent.text == NOTICE.text and sent.at == sim.clock()
    payload = sent.message["attachment"]["payload"]
    assert payload["template_type"] == "promotion"
    assert [e["type"] for e in payload["elements"]] == ["banner", "header", "text"]
    assert payload["elements"][0]["image_url"] == NOTICE.image_url
    [button] = payload["buttons"]
    assert button == {
        "title": "Xem lịch",
        "image_icon": "",
        "type": "oa.open.url",
        "payload": {"url": NOTICE.link_url},
    }


async def test_title_is_the_header(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    promotion = Promotion("Dòng đầu\nDòng hai", title="Thông báo của UBND phường")
    await broadcaster.send_promotion(USER_ID, promotion)
    elements = sim.promotions[0].message["attachment"]["payload"]["elements"]
    assert elements == [
        {"type": "header", "content": "Thông báo của UBND phường", "align": "left"},
        {"type": "text", "content": "Dòng đầu\nDòng hai", "align": "left"},
    ]


async def test_plain_text_promotion(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    await broadcaster.send_promotion(USER_ID, Promotion("Thông báo lịch tiếp công dân tuần này."))
    payload = sim.promotions[0].message["attachment"]["payload"]
    assert payload["elements"] == [
        {"type": "text", "content": "Thông báo lịch tiếp công dân tuần này.", "align": "left"}
    ]
    assert "buttons" not in payload


async def test_not_a_follower_is_skipped(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    sim.users[USER_ID].following = False
    with pytest.raises(RecipientSkipped) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert (caught.value.reason, caught.value.code, vendor_code(caught.value)) == ("not_follower", -213, -213)
    assert "quan tâm" in str(caught.value)
    with pytest.raises(RecipientSkipped):  # unknown to Zalo: not a follower either
        await broadcaster.send_promotion("1234567890123456789", NOTICE)
    assert sim.promotions == []


async def test_unfollow_event_makes_the_user_a_non_follower(
    sim: ZaloSimulator, broadcaster: Broadcaster
) -> None:
    sim.follow(USER_ID, unfollow=True)
    with pytest.raises(RecipientSkipped):
        await broadcaster.send_promotion(USER_ID, NOTICE)
    sim.follow(USER_ID)
    assert await broadcaster.send_promotion(USER_ID, NOTICE)


async def test_user_who_restricted_promotions_is_skipped(
    sim: ZaloSimulator, broadcaster: Broadcaster
) -> None:
    sim.users[USER_ID].restricted_promotions = True
    with pytest.raises(RecipientSkipped) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert (caught.value.reason, caught.value.code) == ("user_restricted", -244)
    assert vendor_code(caught.value) == -244 and sim.promotions == []


async def test_one_promotion_per_user_per_local_day(
    sim: ZaloSimulator, broadcaster: Broadcaster, clock: FakeClock
) -> None:
    set_local(clock, 7)
    await broadcaster.send_promotion(USER_ID, NOTICE)
    set_local(clock, 21.9)
    with pytest.raises(RecipientSkipped) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert (caught.value.reason, caught.value.code) == ("user_quota", -218)
    assert "đủ số tin" in str(caught.value)
    set_local(clock, 6, days=1)  # 06:00 the next local day (23:00 UTC the day before)
    await broadcaster.send_promotion(USER_ID, NOTICE)
    assert len(sim.promotions) == 2


async def test_monthly_quota_per_user(sim: ZaloSimulator, broadcaster: Broadcaster, clock: FakeClock) -> None:
    sim.promotion_monthly_quota = 2
    clock.seconds = datetime(2025, 12, 1, 8, tzinfo=timezone(timedelta(hours=7))).timestamp()
    assert await broadcaster.remaining_quota(USER_ID) == Quota(2)
    await broadcaster.send_promotion(USER_ID, NOTICE)
    set_local(clock, 8, days=1)
    await broadcaster.send_promotion(USER_ID, NOTICE)
    assert await broadcaster.remaining_quota(USER_ID) == Quota(0)
    set_local(clock, 8, days=1)
    with pytest.raises(RecipientSkipped) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert (caught.value.reason, caught.value.code) == ("user_quota", -218)
    set_local(clock, 8, days=29)  # 2026-01-01: a new month
    assert await broadcaster.remaining_quota(USER_ID) == Quota(2)
    await broadcaster.send_promotion(USER_ID, NOTICE)
    assert len(sim.promotions) == 3


@pytest.mark.parametrize(("hour", "wait_hours"), [(22.0, 8.0), (23.5, 6.5), (0.0, 6.0), (5.75, 0.25)])
async def test_nothing_goes_out_at_night(
    sim: ZaloSimulator, broadcaster: Broadcaster, clock: FakeClock, hour: float, wait_hours: float
) -> None:
    set_local(clock, hour)
    with pytest.raises(RetryLater) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    err = caught.value
    assert (err.reason, err.code, vendor_code(err)) == ("night_time", -234, -234)
    assert err.retry_after == pytest.approx(wait_hours * HOUR)
    assert "06:00" in str(err) and sim.promotions == []
    clock.advance(err.retry_after)  # 06:00 local: it goes out
    await broadcaster.send_promotion(USER_ID, NOTICE)
    assert len(sim.promotions) == 1


async def test_simulator_night_follows_its_time_zone(
    sim: ZaloSimulator, broadcaster: Broadcaster, clock: FakeClock
) -> None:
    set_local(clock, 23)  # 23:00 in Vietnam is 16:00 UTC
    sim.utc_offset_hours = 0
    await broadcaster.send_promotion(USER_ID, NOTICE)
    sim.utc_offset_hours = 7
    with pytest.raises(RetryLater):
        await broadcaster.send_promotion(USER_ID, NOTICE)


@pytest.mark.parametrize(
    ("flag", "code", "reason"),
    [("feature_quota_spent", -211, "feature_quota"), ("package_too_low", -224, "package_too_low")],
)
async def test_oa_level_refusals_halt_the_campaign(
    sim: ZaloSimulator, broadcaster: Broadcaster, flag: str, code: int, reason: str
) -> None:
    setattr(sim, flag, True)
    with pytest.raises(CampaignHalted) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert (caught.value.reason, caught.value.code, vendor_code(caught.value)) == (reason, code, code)
    assert "dừng" in str(caught.value) and sim.promotions == []


async def test_rate_limit_carries_retry_after_and_the_retry_goes_out(
    sim: ZaloSimulator, broadcaster: Broadcaster
) -> None:
    sim.script(Fault.rate_limited("promotion"))
    with pytest.raises(RetryLater) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    err = caught.value
    assert (err.reason, err.code, vendor_code(err)) == ("rate_limited", -32, -32)
    assert err.retry_after == 60.0 and sim.promotions == []
    await broadcaster.send_promotion(USER_ID, NOTICE)
    assert len(sim.promotions) == 1


async def test_http_429_carries_its_retry_after(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    sim.script(Fault.http(429, retry_after=120, endpoint="promotion"))
    with pytest.raises(RetryLater) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert (caught.value.reason, caught.value.retry_after, caught.value.code) == ("rate_limited", 120.0, 429)


async def test_oa_daily_request_limit(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    sim.promotion_daily_limit = 3
    users = sim.add_followers(3)
    for user in users:
        await broadcaster.send_promotion(user.user_id, NOTICE)
    with pytest.raises(RetryLater) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert (caught.value.reason, caught.value.code) == ("rate_limited", -32)
    assert len(sim.promotions) == 3


def test_simulator_daily_request_limit_follows_the_follower_count(sim: ZaloSimulator) -> None:
    sim.add_followers(9_999)  # 10,000 with the citizen of the fixture
    assert sim.daily_request_limit() == 500
    sim.add_followers(10_000)
    assert sim.daily_request_limit() == 1_000  # 5% of 20,000


@pytest.mark.parametrize(
    "fault", [Fault.http(503, endpoint="promotion"), Fault.hang(2.0, endpoint="promotion")]
)
async def test_transport_trouble_is_retried_later(
    sim: ZaloSimulator, make_connector: MakeConnector, fault: Fault
) -> None:
    broadcaster = broadcaster_of(make_connector(timeout="0.3"))
    assert broadcaster is not None
    sim.script(fault)
    with pytest.raises(RetryLater) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert caught.value.reason == "transient" and caught.value.retry_after > 0
    assert sim.promotions == []


async def test_content_zalo_refuses_halts_with_its_reason(
    sim: ZaloSimulator, broadcaster: Broadcaster
) -> None:
    with pytest.raises(CampaignHalted) as caught:
        await broadcaster.send_promotion(USER_ID, Promotion("Rất dài. " * 200))
    assert (caught.value.reason, caught.value.code) == ("rejected", -210)
    assert "giới hạn" in str(caught.value) and sim.promotions == []


# --------------------------------------------------------------------------- tokens


async def test_expired_token_is_refreshed_once(
    sim: ZaloSimulator, broadcaster: Broadcaster, connector: ZaloConnector
) -> None:
    sim.expire_access_token()
    await broadcaster.send_promotion(USER_ID, NOTICE)
    assert sim.refresh_calls == 1 and connector.tokens.refreshes == 1
    assert len(sim.promotions) == 1
    sim.script(Fault.expired_token("getlist"))
    page = await broadcaster.followers()
    assert page.user_ids == [USER_ID] and sim.refresh_calls == 2


async def test_token_that_cannot_be_refreshed_halts(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    sim.expire_access_token()
    sim.refresh_token = "sim-refresh-someone-else-rotated"
    with pytest.raises(CampaignHalted) as caught:
        await broadcaster.send_promotion(USER_ID, NOTICE)
    assert caught.value.reason == "auth" and "ZALO_REFRESH_TOKEN" in str(caught.value)
    assert sim.promotions == []


# --------------------------------------------------------------------------- followers


async def test_followers_page_by_50_up_to_the_end(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    followers = [USER_ID] + [u.user_id for u in sim.add_followers(300)]
    sim.add_user("Đã bỏ quan tâm", follower=False)
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = await broadcaster.followers(offset, count=50)
        assert page.total == 301 and len(page.user_ids) <= 50
        seen += page.user_ids
        offset, pages = page.next_offset, pages + 1
    assert seen == followers and pages == 7


async def test_followers_count_is_capped_at_zalos_50(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    sim.add_followers(80)
    page = await broadcaster.followers(0, count=200)
    assert len(page.user_ids) == 50 and page.next_offset == 50


async def test_followers_by_last_interaction(
    sim: ZaloSimulator, broadcaster: Broadcaster, clock: FakeClock
) -> None:
    recent, old = sim.add_followers(2)
    recent.last_interaction = clock() - HOUR
    old.last_interaction = clock() - 20 * DAY
    assert (await broadcaster.followers(last_interaction_period="TODAY")).user_ids == [recent.user_id]
    assert (await broadcaster.followers(last_interaction_period="L30D")).user_ids == [
        recent.user_id,
        old.user_id,
    ]


async def test_simulator_refuses_pages_zalo_refuses(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    client = connector.broadcaster()._client
    token = sim.access_token
    for query, code in [({"offset": 0, "count": 51}, -210), ({"offset": 9_990, "count": 50}, -210)]:
        with pytest.raises(ZaloAPIError) as caught:
            await client.get("/v3.0/oa/user/getlist", token, "danh sách", query)
        assert caught.value.code == code
    data = await client.get("/v3.0/oa/user/getlist", token, "danh sách", {"offset": 9_950, "count": 50})
    assert data["users"] == []


# --------------------------------------------------------------------------- articles


ARTICLE = Article(
    title="Lịch tiêm vắc xin sởi",
    description="Trạm y tế phường tiêm vắc xin sởi cho trẻ từ 1 đến 5 tuổi.",
    body="Thời gian: 8 giờ sáng thứ Bảy. Địa điểm: Trạm y tế phường Điện Biên.",
    cover_url="https://example.org/cover.jpg",
    author="UBND phường",
)


async def test_article_create_verify_broadcast(
    sim: ZaloSimulator, broadcaster: Broadcaster, clock: FakeClock
) -> None:
    token = await broadcaster.create_article(ARTICLE)
    assert sim.articles[token].title == ARTICLE.title
    assert await broadcaster.verify_article(token) is None  # Zalo is still making it
    clock.advance(sim.article_review_delay)
    article_id = await broadcaster.verify_article(token)
    assert article_id is not None and await broadcaster.verify_article(token) == article_id
    target = {"city": "4", "gender": "0", "age": "2,3", "platform": "1"}  # Zalo's codes
    message_id = await broadcaster.broadcast_articles([article_id], target)
    [sent] = sim.article_broadcasts
    zalo = {"cities": "4", "gender": "0", "ages": "2,3", "platform": "1"}
    assert (sent.message_id, sent.target, sent.article_ids) == (message_id, zalo, [article_id])


async def test_article_broadcast_limits(sim: ZaloSimulator, broadcaster: Broadcaster) -> None:
    with pytest.raises(CampaignHalted) as caught:
        await broadcaster.broadcast_articles([f"a{i}" for i in range(6)], {"cities": "Thanh Hóa"})
    assert caught.value.reason == "rejected" and "5" in str(caught.value)
    with pytest.raises(CampaignHalted) as unknown:  # an article Zalo has not made
        await broadcaster.broadcast_articles(["khong-co"], {"cities": "Thanh Hóa"})
    assert (unknown.value.reason, unknown.value.code) == ("rejected", -201)
    assert sim.article_broadcasts == []


async def test_unknown_article_token(broadcaster: Broadcaster) -> None:
    with pytest.raises(CampaignHalted) as caught:
        await broadcaster.verify_article("khong-co-token")
    assert caught.value.code == -201
