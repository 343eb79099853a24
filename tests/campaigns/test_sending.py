"""Campaigns end to end: the console's JSON API, the worker's sender, the Zalo simulator
(its rules: followers only, one a user a day, a monthly quota, 06:00–22:00, error codes), on
SQLite and PostgreSQL, one clock moved by hand for the hub and the simulator."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import select

from campaigns.opt_out import is_opted_out
from devtools.zalo import Fault
from devtools.zalo.promotion import SentPromotion
from storage.models import ChannelIdentity
from storage.models_campaigns import CampaignRecipient
from storage.models_console import AuditLog, Notification
from tests.campaigns.conftest import MORNING, Bench
from tests.conftest import wait_for

API = "/console/api/campaigns"
NOTICE = {
    "channel": "zalo",
    "title": "Lịch tiêm chủng",
    "text": "Tiêm vắc-xin sởi cho trẻ ngày 5/3 tại trạm y tế xã.",
}


async def resync(bench: Bench) -> dict[str, Any]:
    sv = await bench.login("sv1")
    status, body = await sv.post(f"{API}/followers/resync", {"channel": "zalo"})
    assert status == 200, body
    return body


async def approved(bench: Bench, **fields: Any) -> int:
    """A campaign composed and submitted by tt1, approved by tt2: its id."""
    author, approver = await bench.login("tt1"), await bench.login("tt2")
    status, body = await author.post(API, {**NOTICE, **fields})
    assert status == 200, body
    cid = int(body["campaign"]["id"])
    assert (await author.post(f"{API}/{cid}/submit"))[0] == 200
    status, body = await approver.post(f"{API}/{cid}/approve")
    assert status == 200 and body["campaign"]["status"] == "approved", body
    return cid


async def recipients(bench: Bench, cid: int) -> dict[str, CampaignRecipient]:
    async with bench.hub.sm() as s:
        rows = (
            await s.execute(select(CampaignRecipient).where(CampaignRecipient.campaign_id == cid))
        ).scalars()
        return {r.external_id: r for r in rows}


async def campaign(bench: Bench, cid: int) -> dict[str, Any]:
    status, body = await (await bench.login("sv1")).get(f"{API}/{cid}")
    if status == 401:  # the clock moved past the session's idle limit
        status, body = await (await bench.login("sv1", fresh=True)).get(f"{API}/{cid}")
    assert status == 200, body
    return body


async def test_300_followers_eligible_only_second_campaign_skipped(bench: Bench) -> None:
    sim = bench.sim
    users = [u.user_id for u in sim.add_followers(300)]
    restricted, gone, spent, opted = users[:10], users[10:20], users[20:30], users[30]
    for uid in restricted:
        sim.users[uid].restricted_promotions = True
    assert (await resync(bench))["listed"] == 300  # the local table learns the 300 followers
    for uid in gone:  # unfollowed without us hearing it: Zalo answers -213
        sim.users[uid].following = False
    earlier = MORNING.date() - timedelta(days=1)
    for uid in spent:  # this month's quota used up on earlier days: -218
        for _ in range(sim.promotion_monthly_quota):
            sim.promotions.append(SentPromotion("old", uid, "cũ", MORNING.timestamp() - 86400, earlier, {}))
    await opt_out_by_message(bench, opted)

    cid = await approved(bench)
    await bench.tick()
    rows = await recipients(bench, cid)
    assert len(rows) == 300
    eligible = set(users) - set(restricted) - set(gone) - set(spent) - {opted}
    sent_now = {p.user_id for p in sim.promotions if p.message_id != "old"}
    assert sent_now == eligible and len(eligible) == 269
    assert {u for u, r in rows.items() if r.status == "sent"} == eligible
    assert all(rows[u].vendor_id and rows[u].sent_at for u in eligible)
    assert {rows[u].reason for u in restricted} == {"user_restricted"}
    assert {rows[u].reason for u in gone} == {"not_follower"}
    assert {rows[u].reason for u in spent} == {"user_quota"}
    assert (rows[opted].status, rows[opted].reason, rows[opted].attempts) == ("skipped", "opted_out", 0)
    body = await campaign(bench, cid)
    assert body["campaign"]["status"] == "done"
    assert body["counts"]["by_status"] == {"pending": 0, "sent": 269, "skipped": 31, "failed": 0}
    assert body["counts"]["skipped_by_reason"] == {
        "user_restricted": 10,
        "not_follower": 10,
        "user_quota": 10,
        "opted_out": 1,
    }

    second = await approved(bench, title="Nhắc lịch tiêm")
    await bench.tick()
    again = await recipients(bench, second)
    assert len(sim.promotions) == 269 + 10 * sim.promotion_monthly_quota  # nothing new
    reasons = {r.reason for r in again.values()}
    assert {r.status for r in again.values()} == {"skipped"} and "user_quota" in reasons
    assert {u for u, r in again.items() if r.reason == "user_quota"} == eligible | set(spent)
    await check_report(bench, second)


async def opt_out_by_message(bench: Bench, user_id: str) -> None:
    """The citizen writes "hủy đăng ký" on Zalo; the hub's pipeline opts them out."""
    delivery = await bench.sim.deliver(
        bench.sim.webhook_url or "", bench.sim.user_text(user_id, "Hủy đăng ký")
    )
    assert delivery.status == 200

    async def opted() -> bool:
        async with bench.hub.sm() as s:
            identity = (
                await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == user_id))
            ).scalar_one()
            return await is_opted_out(s, identity.id)

    await wait_for(opted, timeout=20)


async def check_report(bench: Bench, cid: int) -> None:
    sv = await bench.login("sv1")
    status, report = await sv.get(f"{API}/{cid}/report")
    assert status == 200 and report["counts"]["total"] == 300
    assert report["timing"]["started_at"] and report["timing"]["finished_at"]
    status, text = await sv.get(f"{API}/{cid}/report.csv")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 300 and rows[0]["status"] == "skipped"
    status, page = await sv.get(f"{API}/{cid}/recipients?status=skipped&limit=50&offset=250")
    assert status == 200 and page["total"] == 300 and len(page["recipients"]) == 50
    status, bad = await sv.get(f"{API}/{cid}/recipients?status=gửi")
    assert status == 400 and "Trạng thái" in bad["error"]


async def test_rate_limit_is_retried_after_its_time(bench: Bench) -> None:
    users = [u.user_id for u in bench.sim.add_followers(3)]
    await resync(bench)
    cid = await approved(bench)
    bench.sim.script(Fault.rate_limited("promotion"))  # the first request: -32
    await bench.tick()
    rows = await recipients(bench, cid)
    waiting = [r for r in rows.values() if r.status == "pending"]
    assert len(waiting) == 1 and waiting[0].attempts == 1 and "giới hạn" in (waiting[0].error or "")
    assert len(bench.sim.promotions) == 2
    bench.clock.advance(30)  # not yet: Zalo's minute (60 s) is longer than our first backoff
    await bench.tick()
    assert len(bench.sim.promotions) == 2
    bench.clock.advance(31)
    await bench.tick()
    assert {p.user_id for p in bench.sim.promotions} == set(users)
    assert (await campaign(bench, cid))["campaign"]["status"] == "done"


async def test_zalos_night_time_waits_for_its_morning(bench: Bench) -> None:
    """Our hours (here from 05:00) say yes but Zalo says night (-234): the recipient waits,
    its tries not counted, until Zalo's 06:00."""
    (user,) = bench.sim.add_followers(1)
    await resync(bench)
    bench.sender.cfg = replace(bench.sender.cfg, start=time(5, 0))
    cid = await approved(bench)
    bench.at(MORNING.replace(hour=5, minute=30))
    await bench.tick()
    (row,) = (await recipients(bench, cid)).values()
    assert (row.status, row.attempts) == ("pending", 0) and bench.sim.promotions == []
    bench.clock.advance(29 * 60)  # 05:59
    await bench.tick()
    assert bench.sim.promotions == []
    bench.clock.advance(60)
    await bench.tick()
    assert [p.user_id for p in bench.sim.promotions] == [user.user_id]


async def test_a_recipient_failing_past_the_retry_limit_is_failed(bench: Bench) -> None:
    bench.sim.add_followers(1)
    await resync(bench)
    cid = await approved(bench)
    for _ in range(3):  # HUB_CAMPAIGN_RETRY_LIMIT=3
        bench.sim.script(Fault.rate_limited("promotion"))
        await bench.tick()
        bench.clock.advance(3600)
    (row,) = (await recipients(bench, cid)).values()
    assert (row.status, row.attempts) == ("failed", 3) and bench.sim.promotions == []
    assert (await campaign(bench, cid))["campaign"]["status"] == "done"


async def test_nothing_is_sent_outside_the_allowed_hours(bench: Bench) -> None:
    bench.sim.add_followers(5)
    await resync(bench)
    cid = await approved(bench)
    for hour, minute in ((22, 0), (23, 30), (3, 0), (5, 59)):
        day = MORNING.date() + timedelta(days=1 if hour < 12 else 0)
        bench.at(MORNING.replace(year=day.year, month=day.month, day=day.day, hour=hour, minute=minute))
        await bench.tick()
        assert bench.sim.promotions == [] and (await recipients(bench, cid)) == {}
        assert (await campaign(bench, cid))["campaign"]["status"] == "approved"
    bench.clock.advance(60)  # 06:00
    await bench.tick()
    assert len(bench.sim.promotions) == 5
    assert all(p.local_day == date(2027, 3, 3) for p in bench.sim.promotions)


async def test_nothing_before_approval_and_never_by_the_author(bench: Bench) -> None:
    bench.sim.add_followers(4)
    await resync(bench)
    author, other, op = await bench.login("tt1"), await bench.login("tt2"), await bench.login("op1")
    status, body = await author.post(API, {**NOTICE, "audience": {"kind": "all"}})
    assert status == 200
    cid = body["campaign"]["id"]
    status, preview = await author.post(f"{API}/preview", {"channel": "zalo", "audience": {"kind": "all"}})
    assert (status, preview["eligible"]) == (200, 4)
    assert (await op.get(API))[0] == 403  # an operator has no campaigns
    await bench.tick()
    status, body = await author.post(f"{API}/{cid}/approve")
    assert status == 409 and "bản nháp" in body["error"]
    assert (await author.post(f"{API}/{cid}/submit"))[0] == 200
    status, body = await author.post(f"{API}/{cid}/approve")
    assert status == 403 and "bốn mắt" in body["error"]
    status, body = await other.get(f"{API}/{cid}")
    assert body["campaign"]["can_approve"] is True
    await bench.tick()
    assert bench.sim.promotions == [] and await recipients(bench, cid) == {}
    status, body = await other.post(f"{API}/{cid}/reject", {"reason": "Thiếu địa điểm"})
    assert (status, body["campaign"]["status"]) == (200, "rejected")
    await bench.tick()
    assert bench.sim.promotions == []
    async with bench.hub.sm() as s:
        actions = (
            await s.execute(
                select(AuditLog.action, AuditLog.username).where(AuditLog.object_type == "campaign")
            )
        ).all()
    assert [tuple(a) for a in actions] == [
        ("campaign_create", "tt1"),
        ("campaign_submit", "tt1"),
        ("campaign_reject", "tt2"),
    ]


async def test_an_oa_level_refusal_halts_and_tells_the_sender(bench: Bench) -> None:
    bench.sim.add_followers(6)
    await resync(bench)
    bench.sim.package_too_low = True  # -224
    cid = await approved(bench)
    await bench.tick()
    body = await campaign(bench, cid)
    assert body["campaign"]["status"] == "halted" and body["campaign"]["halt_reason"] == "package_too_low"
    assert body["counts"]["by_status"]["pending"] == 6 and bench.sim.promotions == []
    async with bench.hub.sm() as s:
        notices = (
            await s.execute(select(Notification).where(Notification.kind == "campaign_halted"))
        ).scalars()
        (notice,) = list(notices)
    assert notice.role == "communications" and "Lịch tiêm chủng" in notice.text
    bench.sim.package_too_low = False
    tt1 = await bench.login("tt1")
    assert (await tt1.post(f"{API}/{cid}/resume"))[0] == 200
    await bench.tick()
    assert len(bench.sim.promotions) == 6
    assert (await campaign(bench, cid))["campaign"]["status"] == "done"


async def test_bad_input_is_refused_in_vietnamese_and_nothing_is_stored(bench: Bench) -> None:
    tt1 = await bench.login("tt1")
    status, body = await tt1.post(API, {**NOTICE, "text": "x" * 1200})
    assert status == 400 and body["error"] == "Trường text quá dài: 1200 ký tự (tối đa 1000)"
    status, body = await tt1.post(API, {**NOTICE, "channel": "webchat"})
    assert status == 400 and "không gửi được thông báo" in body["error"]
    status, listed = await tt1.get(API)
    assert (status, listed["campaigns"]) == (200, [])
    status, options = await tt1.get(f"{API}/options")
    assert options["channels"] == ["zalo"] and "Huyện Hoằng Hóa" in options["districts"]


async def test_a_server_error_is_retried_later(bench: Bench) -> None:
    bench.sim.add_followers(2)
    await resync(bench)
    cid = await approved(bench)
    bench.sim.script(Fault(kind="http", code=502, endpoint="promotion"))
    await bench.tick()
    (waiting,) = [r for r in (await recipients(bench, cid)).values() if r.status == "pending"]
    assert waiting.attempts == 1 and len(bench.sim.promotions) == 1
    bench.clock.advance(31)
    await bench.tick()
    assert len(bench.sim.promotions) == 2
    assert (await campaign(bench, cid))["counts"]["by_status"]["sent"] == 2


async def test_a_cancelled_campaign_sends_nothing(bench: Bench) -> None:
    bench.sim.add_followers(2)
    await resync(bench)
    cid = await approved(bench)
    tt1 = await bench.login("tt1")
    status, body = await tt1.post(f"{API}/{cid}/cancel")
    assert (status, body["campaign"]["status"]) == (200, "cancelled")
    await bench.tick()
    assert bench.sim.promotions == [] and await recipients(bench, cid) == {}
    status, body = await tt1.post(f"{API}/{cid}/cancel")
    assert status == 409 and "đã hủy" in body["error"]
