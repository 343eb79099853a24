"""The daily retention job (issue 18) with a moved clock: what is due is anonymised or
deleted, a legal hold is respected, the counts are audited, a second run the same day does
nothing; the worker's lease lets one process run it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import retention_worker
from privacy import legal_hold, retention
from storage.clock import ManualClock
from storage.media import write_file
from storage.models import (
    Attachment,
    ChannelIdentity,
    Contact,
    Conversation,
    Message,
    Ticket,
    WebhookFailure,
)
from storage.models_console import AuditLog, TicketFile
from storage.models_privacy import ContactRestriction, DataRequest
from storage.models_retention import RetentionRun

# 03:30 on 10 June 2033 in Việt Nam (UTC+7): after the default hour 2
NOW = datetime(2033, 6, 9, 20, 30, tzinfo=UTC)
SECRET = "Phạm Văn Bí Mật"


class World:
    def __init__(self, s: AsyncSession, media: Path) -> None:
        self.s, self.media, self.n = s, media, 0

    async def contact(self) -> Contact:
        c = Contact(
            full_name=SECRET, phone="0911 222 333", address="Số 1 Lê Lai", created_at=NOW, updated_at=NOW
        )
        self.s.add(c)
        await self.s.flush()
        return c

    async def conversation(self, contact: Contact, at: datetime, *, photo: bool = False) -> Conversation:
        self.n += 1
        ident = ChannelIdentity(
            contact_id=contact.id,
            channel="webchat",
            external_id=f"w-{self.n}",
            display_name=SECRET,
            created_at=at,
        )
        self.s.add(ident)
        await self.s.flush()
        conv = Conversation(
            contact_id=contact.id,
            identity_id=ident.id,
            channel="webchat",
            state="closed",
            created_at=at,
            updated_at=at,
        )
        self.s.add(conv)
        await self.s.flush()
        msg = Message(
            conversation_id=conv.id,
            seq=1,
            channel="webchat",
            direction="in",
            sender_role="citizen",
            text=f"Tôi là {SECRET}",
            status="delivered",
            created_at=at,
            updated_at=at,
        )
        self.s.add(msg)
        await self.s.flush()
        if photo:
            path = write_file(self.media / "ab" / f"photo-{self.n}", f"photo {self.n}".encode())
            self.s.add(Attachment(message_id=msg.id, kind="image", name="cccd.png", stored_path=str(path)))
        return conv

    async def ticket(self, contact: Contact, at: datetime, status: str = "answered") -> Ticket:
        conv = await self.conversation(contact, at)
        self.n += 1
        t = Ticket(
            code=f"TH-{self.n:06d}",
            year=at.year,
            number=self.n,
            conversation_id=conv.id,
            contact_id=contact.id,
            channel="webchat",
            status=status,
            content=f"Phản ánh của {SECRET}",
            contact_snapshot={"full_name": SECRET},
            created_at=at,
            updated_at=at,
        )
        self.s.add(t)
        await self.s.flush()
        return t

    async def recording(self, ticket: Ticket, at: datetime) -> Path:
        path = write_file(self.media / "recordings" / f"call-{ticket.id}.mp3", b"ID3 audio")
        self.s.add(
            TicketFile(
                ticket_id=ticket.id,
                name="cuoc-goi.mp3",
                size=9,
                stored_path=str(path),
                sha256="0" * 64,
                created_at=at,
            )
        )
        return path


def years(n: float) -> timedelta:
    return timedelta(days=round(365.25 * n))


async def audits(s: AsyncSession) -> list[AuditLog]:
    return list((await s.scalars(select(AuditLog).where(AuditLog.action == "retention_run"))).all())


async def test_the_daily_run(sm: Any, tmp_path: Path) -> None:
    media = tmp_path / "media"
    clock = ManualClock(NOW)
    async with sm() as s, s.begin():
        w = World(s, media)
        gone = await w.contact()  # an old chat only: all of it goes
        old_chat = await w.conversation(gone, NOW - years(2), photo=True)
        held = await w.contact()  # an old chat under a hold
        held_chat = await w.conversation(held, NOW - years(2))
        await legal_hold.place(
            s, "conversation", held_chat.id, "khiếu nại đang giải quyết", NOW, by="sv1", by_id=None
        )
        active = await w.contact()  # an old chat and a recent one: only the old one goes
        active_old = await w.conversation(active, NOW - years(2))
        active_new = await w.conversation(active, NOW - timedelta(days=30))
        closed = await w.contact()  # a ticket finished six years ago
        old_ticket = await w.ticket(closed, NOW - years(6))
        held_ticket = await w.ticket(await w.contact(), NOW - years(6))
        hold = await legal_hold.place(s, "ticket", held_ticket.id, "thanh tra", NOW, by="sv1", by_id=None)
        recent_ticket = await w.ticket(await w.contact(), NOW - years(3))  # kept; its recording is not
        recording = await w.recording(recent_ticket, NOW - years(3))
        open_ticket = await w.ticket(await w.contact(), NOW - years(6), status="forwarded")
        s.add(WebhookFailure(channel="zalo", error="x", body=SECRET.encode(), received_at=NOW - years(2)))
    cfg = retention.load({})

    # before the hour: nothing
    async with sm() as s, s.begin():
        assert await retention.run_for_day(s, NOW.replace(hour=18), cfg, media) is None  # 01:30 local
    async with sm() as s, s.begin():
        counts = await retention.run_for_day(s, clock.now(), cfg, media)
    assert counts is not None
    assert counts["tickets"] == 1 and counts["conversations"] == 3 and counts["contacts"] == 2
    assert counts["ticket_files"] == 1 and counts["files_deleted"] == 2 and counts["webhook_failures"] == 1
    assert counts["held"] == 2
    assert not recording.exists() and not list((media / "ab").iterdir())

    async with sm() as s:
        [entry] = await audits(s)
        assert (
            entry.detail is not None and entry.detail["counts"] == counts and entry.object_id == "2033-06-10"
        )

        async def text_of(conv: Conversation) -> str:
            return str(await s.scalar(select(Message.text).where(Message.conversation_id == conv.id)))

        for conv in (old_chat, active_old):
            assert SECRET not in await text_of(conv)
        for conv in (held_chat, active_new):
            assert SECRET in await text_of(conv)
        names = {c.id: c.full_name for c in (await s.scalars(select(Contact))).all()}
        assert names[gone.id] is None and names[closed.id] is None
        assert names[held.id] == SECRET and names[active.id] == SECRET
        tickets = {t.id: t.content for t in (await s.scalars(select(Ticket))).all()}
        assert SECRET not in tickets[old_ticket.id]
        for t in (held_ticket, recent_ticket, open_ticket):
            assert SECRET in tickets[t.id]

    # a second run the same day does nothing
    clock.advance(hours=5)
    async with sm() as s, s.begin():
        assert await retention.run_for_day(s, clock.now(), cfg, media) is None
    # the hold released: the next day's run takes the ticket
    async with sm() as s, s.begin():
        await legal_hold.release(s, hold.id, clock.now(), by="sv1")
    clock.advance(days=1)
    async with sm() as s, s.begin():
        counts = await retention.run_for_day(s, clock.now(), cfg, media)
    assert (
        counts is not None
        and counts["tickets"] == 1
        and counts["contacts"] == 1
        and counts["conversations"] == 1
    )
    async with sm() as s:
        assert len(await audits(s)) == 2
        assert await s.scalar(select(func.count()).select_from(RetentionRun)) == 2
        assert SECRET not in str(await s.scalar(select(Ticket.content).where(Ticket.id == held_ticket.id)))


async def test_disabled_and_bad_settings(sm: Any, tmp_path: Path) -> None:
    cfg = retention.load({"HUB_RETENTION_ENABLED": "false", "HUB_RETENTION_HOUR": "4"})
    assert not cfg.enabled and cfg.hour == 4
    async with sm() as s, s.begin():
        assert await retention.run_for_day(s, NOW, cfg, tmp_path) is None
        assert await s.scalar(select(func.count()).select_from(RetentionRun)) == 0
    for env, name in (
        ({"HUB_RETENTION_HOUR": "25"}, "HUB_RETENTION_HOUR"),
        ({"HUB_RETENTION_TICKET_YEARS": "năm"}, "HUB_RETENTION_TICKET_YEARS"),
        ({"HUB_RETENTION_CONVERSATION_MONTHS": "0"}, "HUB_RETENTION_CONVERSATION_MONTHS"),
        ({"HUB_RETENTION_ENABLED": "có"}, "HUB_RETENTION_ENABLED"),
    ):
        with pytest.raises(ValueError, match=name):
            retention.load(env)
    p = retention.load({"HUB_RETENTION_RECORDING_YEARS": "3", "HUB_RETENTION_REQUEST_YEARS": "7"}).policy
    assert (p.conversation_months, p.ticket_years, p.recording_years, p.request_years) == (12, 5, 3, 7)


async def test_two_workers_run_it_once(sm: Any, hub_settings: Any) -> None:
    """Two worker processes at the hour: the lease and the day's row let one of them run."""
    clock = ManualClock(NOW)
    hub: Any = SimpleNamespace(
        sm=sm, clock=clock, settings=replace(hub_settings, env={"HUB_RETENTION_HOUR": "3"})
    )
    async with sm() as s, s.begin():
        w = World(s, hub.settings.media_dir)
        await w.conversation(await w.contact(), NOW - years(2))
    cfg = retention.load(hub.settings.env)
    assert cfg.hour == 3
    results = await asyncio.gather(*(retention_worker.run_once(hub, cfg, f"worker-{i}") for i in range(2)))
    ran = [r for r in results if r is not None]
    assert len(ran) == 1 and ran[0]["conversations"] == 1 and ran[0]["contacts"] == 1
    assert await retention_worker.run_once(hub, cfg, "worker-0") is None
    async with sm() as s:
        assert len(await audits(s)) == 1


async def test_data_requests_kept_their_years(sm: Any, tmp_path: Path) -> None:
    """Answered or refused requests go after HUB_RETENTION_REQUEST_YEARS; an open one, a
    recent one, one a restriction names and one of a held contact stay."""
    cfg = retention.load({"HUB_RETENTION_REQUEST_YEARS": "3"})
    async with sm() as s, s.begin():
        w = World(s, tmp_path)
        refs: dict[str, int] = {}
        for name, status, age in (
            ("old", "answered", 4),
            ("old_refused", "refused", 4),
            ("recent", "answered", 2),
            ("open", "received", 4),
            ("restricted", "answered", 4),
            ("held", "answered", 4),
        ):
            contact = await w.contact()
            at = NOW - years(age)
            req = DataRequest(
                reference=f"YCDL-{name}",
                contact_id=contact.id,
                kind="restrict" if name == "restricted" else "view",
                channel="web_form",
                text=f"Yêu cầu của {SECRET}",
                verification="email_code",
                status=status,
                received_at=at,
                ack_due=at,
                due_at=at,
                answered_at=at if status != "received" else None,
            )
            s.add(req)
            await s.flush()
            refs[name] = req.id
            if name == "restricted":
                s.add(ContactRestriction(contact_id=contact.id, kind="restrict", request_id=req.id, since=at))
            if name == "held":
                await legal_hold.place(s, "contact", contact.id, "thanh tra", NOW, by="sv1", by_id=None)
    async with sm() as s, s.begin():
        counts = await retention.run_for_day(s, NOW, cfg, tmp_path)
    assert counts is not None and counts["data_requests"] == 2
    async with sm() as s:
        left = set((await s.scalars(select(DataRequest.reference))).all())
    assert left == {"YCDL-recent", "YCDL-open", "YCDL-restricted", "YCDL-held"}
