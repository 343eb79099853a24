"""Campaign state changes (four eyes), audiences and recipient claims on SQLite and
PostgreSQL, without a channel: the sending itself is tested against the Zalo simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from campaigns import audience, districts, recipients, rules, settings, states, tags
from campaigns.errors import CampaignError
from campaigns.opt_out import opt_out
from storage.clock import as_utc
from storage.models import ChannelIdentity, Contact, Conversation
from storage.models_campaigns import Campaign, CampaignRecipient, CampaignStatus
from storage.models_console import User
from storage.record.ingest import identity_for

NOW = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Việt Nam
CFG = settings.load({})
LIST = districts.load(CFG.districts_file)


async def users(s: Any, *names: str) -> list[int]:
    rows = [
        User(
            username=n, full_name=n, password_hash="x", role="communications", created_at=NOW, updated_at=NOW
        )
        for n in names
    ]
    s.add_all(rows)
    await s.flush()
    return [u.id for u in rows]


def draft(**changes: Any) -> rules.CampaignInput:
    body = {"channel": "zalo", "title": "Tiêm chủng", "text": "Lịch tiêm sởi", **changes}
    return rules.validate(body, ["zalo"], LIST, CFG.timezone)


async def test_four_eyes_and_the_states(sm: Any) -> None:
    async with sm() as s, s.begin():
        author, other, third = await users(s, "tt1", "tt2", "tt3")
        c = states.create(s, draft(), author, NOW)
        await s.flush()
        cid = c.id
    async with sm() as s, s.begin():
        with pytest.raises(CampaignError, match="Không thể duyệt thông báo đang ở trạng thái bản nháp"):
            await states.approve(s, cid, other, NOW)
    async with sm() as s, s.begin():
        await states.submit(s, cid, other, NOW)  # another officer submits the author's draft
    async with sm() as s, s.begin():
        for who in (author, other):  # neither the author nor the submitter approves
            with pytest.raises(CampaignError, match="bốn mắt") as caught:
                await states.approve(s, cid, who, NOW)
            assert caught.value.status == 403
        with pytest.raises(CampaignError, match="lý do"):
            await states.reject(s, cid, third, "  ", NOW)
        await states.reject(s, cid, third, "Sai ngày tiêm", NOW)
    async with sm() as s, s.begin():
        with pytest.raises(CampaignError, match="Chỉ người soạn") as not_author:
            await states.edit(s, cid, draft(text="Lịch tiêm sởi ngày 7/3"), third, NOW)
        assert not_author.value.status == 403
        c = await states.edit(s, cid, draft(text="Lịch tiêm sởi ngày 6/3"), author, NOW)  # back to a draft
        assert (c.status, c.reject_reason, c.text) == ("draft", None, "Lịch tiêm sởi ngày 6/3")
        await states.submit(s, cid, author, NOW)
        c = await states.approve(s, cid, third, NOW)
        assert (c.status, c.decided_by_id) == ("approved", third)
    async with sm() as s, s.begin():
        with pytest.raises(CampaignError, match="Không thể sửa") as edit_late:
            await states.edit(s, cid, draft(), author, NOW)
        assert edit_late.value.status == 409
        assert await states.start_sending(s, cid, NOW) is True
        assert await states.start_sending(s, cid, NOW) is False  # one worker starts it
        await states.cancel(s, cid, NOW)
    async with sm() as s:
        assert (await states.load(s, cid)).status == CampaignStatus.CANCELLED
        with pytest.raises(CampaignError) as missing:
            await states.load(s, cid + 100)
        assert missing.value.status == 404


async def person(
    s: Any, ext: str, *, following: bool | None, address: str | None = None, channel: str = "zalo"
) -> ChannelIdentity:
    identity, _ = await identity_for(s, channel, ext, NOW)
    identity.following = following
    contact = await s.get(Contact, identity.contact_id)
    contact.address = address
    return identity


async def test_audiences(sm: Any) -> None:
    async with sm() as s, s.begin():
        a = await person(s, "a", following=True, address="xã Hoằng Đạo, huyện Hoằng Hóa")
        await person(s, "b", following=True, address="P. Điện Biên, TP. Thanh Hóa")
        await person(s, "c", following=False, address="Hoằng Hóa, Thanh Hóa")
        d = await person(s, "d", following=None)
        e = await person(s, "e", following=True)
        await person(s, "f", following=True, channel="facebook")
        await opt_out(s, e.id, NOW)
        await tags.set_tags(s, a.contact_id, ["tiêm chủng", " Tiêm  chủng "], NOW)
        assert await tags.set_tags(s, d.contact_id, ["tiêm chủng", "y tế"], NOW) == ["tiêm chủng", "y tế"]
        s.add(
            Conversation(
                contact_id=d.contact_id,
                identity_id=d.id,
                channel="zalo",
                last_inbound_at=NOW - timedelta(days=3),
                created_at=NOW,
                updated_at=NOW,
            )
        )

    async def who(wanted: dict[str, Any]) -> dict[str, str | None]:
        async with sm() as s:
            found = await audience.members(s, "zalo", wanted, NOW, LIST)
        return {m.external_id: m.skip for m in found}

    assert await who({"kind": "all"}) == {"a": None, "b": None, "e": "opted_out"}
    assert await who({"kind": "tag", "tags": ["tiêm chủng"]}) == {"a": None, "d": None}
    assert await who({"kind": "district", "districts": ["Huyện Hoằng Hóa"]}) == {
        "a": None,
        "c": "not_follower",
    }
    assert await who({"kind": "district", "districts": ["Thành phố Thanh Hóa"]}) == {"b": None}
    assert await who({"kind": "interaction", "days": 7}) == {"d": None}
    assert await who({"kind": "interaction", "days": 2}) == {}
    async with sm() as s:
        got = await audience.preview(s, "zalo", {"kind": "all"}, NOW, LIST)
        assert (got.total, got.eligible, got.skipped) == (3, 2, {"opted_out": 1})
        assert await tags.tags_of(s, a.contact_id) == ["tiêm chủng"]


async def test_recipients_are_claimed_once_by_concurrent_workers(sm: Any) -> None:
    async with sm() as s, s.begin():
        (author,) = await users(s, "tt1")
        for i in range(40):
            await person(s, f"u{i}", following=True)
        c = states.create(s, draft(), author, NOW)
        await s.flush()
        c.status = CampaignStatus.SENDING.value  # (as the sender leaves it)
        found = await audience.members(s, "zalo", {"kind": "all"}, NOW, LIST)
        assert await recipients.expand(s, c.id, found, NOW) == 40
        assert await recipients.expand(s, c.id, found, NOW) == 40  # again: no new rows
    claims = await asyncio.gather(
        *(recipients.claim_due(sm, NOW, token=f"w{i}", ttl=60, limit=15) for i in range(4))
    )
    ids = [c.id for batch in claims for c in batch]
    assert len(ids) == len(set(ids)) == 40
    first = next(c for batch in claims for c in batch)  # a worker may find nothing left: 3 × 15 ≥ 40
    async with sm() as s, s.begin():
        assert await recipients.sent(s, first, "someone-else", "m1", NOW) is False  # not the holder
        holder = next(f"w{i}" for i, batch in enumerate(claims) if first in batch)
        assert await recipients.sent(s, first, holder, "m1", NOW) is True
        assert await recipients.pending(s, first.campaign_id) == 39
    # an expired claim is free again; a settled row never is
    again = await recipients.claim_due(sm, NOW + timedelta(seconds=61), token="late", ttl=60, limit=100)
    assert len(again) == 39 and first.id not in {c.id for c in again}
    async with sm() as s:
        rows = (await s.execute(select(CampaignRecipient))).scalars().all()
        assert len(rows) == 40


async def test_a_local_schedule_is_read_back_as_the_same_instant(sm: Any) -> None:
    """08:00 in Việt Nam is 01:00 UTC on either database (SQLite keeps no offset: a local
    time stored as such was read back 7 hours late)."""
    async with sm() as s, s.begin():
        (author,) = await users(s, "tt9")
        c = states.create(s, draft(scheduled_at="2027-03-05T08:00"), author, NOW)
        await s.flush()
        cid = c.id
    async with sm() as s:
        stored = (await s.execute(select(Campaign.scheduled_at).where(Campaign.id == cid))).scalar_one()
    assert as_utc(stored) == datetime(2027, 3, 5, 1, 0, tzinfo=UTC)
