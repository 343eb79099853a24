"""Several workers at once never send one recipient twice; the worker's own loop sends an
approved campaign; an article campaign goes create → verify (after Zalo's review) →
broadcast. Against the Zalo simulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from sqlalchemy import select

from bot.campaign_worker import _loop, make_sender, run_once
from storage.models import ChannelIdentity, Contact
from storage.models_console import AuditLog
from tests.campaigns.conftest import Bench
from tests.campaigns.test_sending import API, approved, campaign, recipients, resync
from tests.conftest import wait_for


async def test_three_workers_send_each_recipient_once(bench: Bench) -> None:
    users = {u.user_id for u in bench.sim.add_followers(60)}
    await resync(bench)
    cid = await approved(bench)
    workers = [bench.sender, make_sender(bench.hub), make_sender(bench.hub)]
    for w in workers:
        w.cfg = replace(w.cfg, batch=7, concurrency=4)  # small batches: the workers interleave
    await asyncio.gather(*(run_once(bench.hub, w) for w in workers))
    sent = [p.user_id for p in bench.sim.promotions]
    assert sorted(sent) == sorted(users)  # each once: a second send would have met -218
    rows = await recipients(bench, cid)
    assert {r.status for r in rows.values()} == {"sent"} and {r.attempts for r in rows.values()} == {1}
    async with bench.hub.sm() as s:
        started = (
            await s.execute(
                select(AuditLog.action).where(AuditLog.action.in_(["campaign_sending", "campaign_done"]))
            )
        ).scalars()
        assert sorted(started) == ["campaign_done", "campaign_sending"]  # one worker started and finished it


async def test_the_worker_loop_sends_an_approved_campaign(bench: Bench) -> None:
    bench.sim.add_followers(4)
    await resync(bench)
    sender = make_sender(bench.hub)
    sender.cfg = replace(sender.cfg, poll_interval=0.05)
    loop = bench.hub.spawn(_loop(bench.hub, sender))
    try:
        cid = await approved(bench)
        await wait_for(lambda: len(bench.sim.promotions) == 4, timeout=20)

        async def done() -> bool:
            return (await campaign(bench, cid))["campaign"]["status"] == "done"

        await wait_for(done, timeout=20)
    finally:
        loop.cancel()


async def test_an_article_is_created_verified_after_review_and_broadcast(bench: Bench) -> None:
    article = {"title": "Tiêm vắc-xin sởi", "description": "Lịch tiêm tháng 3", "body": "<p>Chi tiết…</p>"}
    cid = await approved(bench, kind="article", article=article, target={"gender": "0"}, text=None)
    await bench.tick()
    first = await campaign(bench, cid)
    assert first["campaign"]["status"] == "sending" and first["campaign"]["vendor_ref"].startswith("token:")
    bench.clock.advance(600)  # Zalo still reviewing
    await bench.tick()
    assert (await campaign(bench, cid))["campaign"]["vendor_ref"].startswith("token:")
    assert bench.sim.article_broadcasts == []
    bench.clock.advance(1300)  # reviewed: the claim of the last look has expired too
    await bench.tick()
    assert (await campaign(bench, cid))["campaign"]["vendor_ref"].startswith("article:")
    bench.clock.advance(130)
    await bench.tick()
    (sent,) = bench.sim.article_broadcasts
    body = await campaign(bench, cid)
    assert (
        body["campaign"]["status"] == "done"
        and body["campaign"]["vendor_ref"] == f"message:{sent.message_id}"
    )
    assert bench.sim.promotions == []


async def test_tags_and_districts_pick_the_audience(bench: Bench) -> None:
    users = bench.sim.add_followers(3)
    await resync(bench)
    tt1 = await bench.login("tt1")
    async with bench.hub.sm() as s, s.begin():
        rows = (await s.execute(select(ChannelIdentity.external_id, ChannelIdentity.contact_id))).all()
        contact_of = {external_id: contact_id for external_id, contact_id in rows}
        lives = await s.get(Contact, contact_of[users[1].user_id])
        assert lives is not None
        lives.address = "Thôn 2, xã Hoằng Đạo, huyện Hoằng Hoá, Thanh Hóa"  # as an operator typed it
    status, body = await tt1.post(f"{API}/contacts/{contact_of[users[0].user_id]}/tags", {"tags": ["Y tế"]})
    assert (status, body["tags"]) == (200, ["y tế"])
    status, got = await tt1.post(
        f"{API}/preview", {"channel": "zalo", "audience": {"kind": "tag", "tags": ["Y TẾ"]}}
    )
    assert (status, got["total"], got["eligible"]) == (200, 1, 1)
    district = {"kind": "district", "districts": ["Huyện Hoằng Hóa"]}
    status, got = await tt1.post(f"{API}/preview", {"channel": "zalo", "audience": district})
    assert (status, got["total"]) == (200, 1)
    cid = await approved(bench, audience={"kind": "tag", "tags": ["y tế"]})
    await bench.tick()
    assert [p.user_id for p in bench.sim.promotions] == [users[0].user_id]
    assert list(await recipients(bench, cid)) == [users[0].user_id]


async def test_follower_resync_follows_the_channels_list(bench: Bench) -> None:
    users = bench.sim.add_followers(3)
    op = await bench.login("op1")
    status, body = await op.post(f"{API}/followers/resync", {"channel": "zalo"})
    assert status == 403  # an admin's or supervisor's action
    first = await resync(bench)
    assert (first["listed"], first["created"], first["no_longer_following"]) == (3, 3, 0)
    users[0].following = False  # unfollowed while the webhook was lost
    again = await resync(bench)
    assert (again["listed"], again["created"], again["no_longer_following"]) == (2, 0, 1)
    async with bench.hub.sm() as s:
        flags = dict((await s.execute(select(ChannelIdentity.external_id, ChannelIdentity.following))).all())
    assert flags == {users[0].user_id: False, users[1].user_id: True, users[2].user_id: True}
    sv = await bench.login("sv1")
    status, body = await sv.post(f"{API}/followers/resync", {"channel": "webchat"})
    assert status == 400 and "danh sách người quan tâm" in body["error"]
