"""The simulator's announcement controls (``/_sim/followers``, ``/_sim/oa``,
``/_sim/promotions``, ``/_sim/broadcasts``) used by the standalone demo, over HTTP."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.broadcast import Article, CampaignHalted, Promotion, RecipientSkipped, broadcaster_of
from connectors.zalo import ZaloConnector
from devtools.clock import FakeClock
from devtools.zalo import ZaloSimulator
from tests.connectors.zalo.conftest import USER_ID


async def test_followers_control_adds_followers(sim: ZaloSimulator, session: aiohttp.ClientSession) -> None:
    async with session.post(f"{sim.base_url}/_sim/followers", json={"count": 3}) as resp:
        body = await resp.json()
    assert resp.status == 200 and body["followers"] == 4 and len(body["user_ids"]) == 3
    assert all(sim.users[u].following and not sim.users[u].restricted_promotions for u in body["user_ids"])
    restricted = {"count": 1, "restricted_promotions": True}
    async with session.post(f"{sim.base_url}/_sim/followers", json=restricted) as resp:
        [user_id] = (await resp.json())["user_ids"]
    assert sim.users[user_id].restricted_promotions
    async with session.post(f"{sim.base_url}/_sim/followers", json={"count": 0}) as resp:
        assert resp.status == 400


async def test_oa_control_sets_rules_the_broadcaster_meets(
    sim: ZaloSimulator, session: aiohttp.ClientSession, connector: ZaloConnector
) -> None:
    broadcaster = broadcaster_of(connector)
    assert broadcaster is not None
    async with session.post(f"{sim.base_url}/_sim/oa", json={"package_too_low": True}) as resp:
        assert resp.status == 200 and (await resp.json())["package_too_low"] is True
    with pytest.raises(CampaignHalted):
        await broadcaster.send_promotion(USER_ID, Promotion("Thông báo"))
    settings = {"package_too_low": False, "promotion_monthly_quota": 0}
    async with session.post(f"{sim.base_url}/_sim/oa", json=settings) as resp:
        assert resp.status == 200
    with pytest.raises(RecipientSkipped):
        await broadcaster.send_promotion(USER_ID, Promotion("Thông báo"))
    for bad in ({"package_too_low": "yes"}, {"promotion_monthly_quota": True}, {"unknown": 1}, [1]):
        async with session.post(f"{sim.base_url}/_sim/oa", json=bad) as resp:
            assert resp.status == 400, bad
    assert sim.promotion_monthly_quota == 0 and sim.package_too_low is False


async def test_promotions_and_broadcasts_are_listed(
    sim: ZaloSimulator, session: aiohttp.ClientSession, connector: ZaloConnector, clock: FakeClock
) -> None:
    broadcaster = broadcaster_of(connector)
    assert broadcaster is not None
    message_id = await broadcaster.send_promotion(USER_ID, Promotion("Lịch cắt điện ngày mai"))
    async with session.get(f"{sim.base_url}/_sim/promotions") as resp:
        assert await resp.json() == [
            {"message_id": message_id, "user_id": USER_ID, "text": "Lịch cắt điện ngày mai", "at": clock()}
        ]
    token = await broadcaster.create_article(Article("Cắt điện", "Lịch cắt điện", "Từ 8 giờ đến 11 giờ."))
    clock.advance(sim.article_review_delay)
    article_id = await broadcaster.verify_article(token)
    assert article_id is not None
    await broadcaster.broadcast_articles([article_id], {"cities": "Thanh Hóa"})
    async with session.get(f"{sim.base_url}/_sim/broadcasts") as resp:
        listed = await resp.json()
    assert [a["id"] for a in listed["articles"]] == [article_id]
    assert [b["article_ids"] for b in listed["broadcasts"]] == [[article_id]]
