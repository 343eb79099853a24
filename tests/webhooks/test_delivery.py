"""Outbound webhooks over the ticket workflow, delivered to a real receiver on loopback:
signed, in order, masked; overdue from the deadline checker with a moved clock; retried
with backoff after failures, failed at the retry limit; two senders never deliver one
delivery twice at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.webhook_delivery import WebhookSender, WebhookSettings
from handoff import workflow as wf
from handoff.calendar import WorkingCalendar, load_calendar_text
from handoff.webhook_delivery import RetryPolicy, create_endpoint
from storage.clock import ManualClock
from storage.models import Conversation
from storage.models_console import Role
from storage.models_webhooks import WebhookDelivery, WebhookEvent
from storage.session import SessionMaker
from tests.console.dbutil import agency_id, make_conversation, migrated
from tests.handoff.calendars import MON_FRI
from tests.webhooks.conftest import Receiver

T0 = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Việt Nam
OPERATOR = wf.Actor(user_id=None, role=Role.OPERATOR, username="op")
PHONE = "0912345678"


@pytest.fixture
def cal() -> WorkingCalendar:
    return load_calendar_text(MON_FRI, "test")


def sender(sm: SessionMaker, http: aiohttp.ClientSession, clock: ManualClock, **policy: Any) -> WebhookSender:
    settings = WebhookSettings(poll_seconds=0.05, timeout_seconds=5, claim_seconds=30, batch=20)
    return WebhookSender(
        sm, http, clock, WebhookSettings(**{**settings.__dict__, "policy": RetryPolicy(**policy)})
    )


async def drain(s: WebhookSender, rounds: int = 50) -> int:
    """Sweep until nothing is due now: how many attempts were made."""
    total = 0
    for _ in range(rounds):
        done = await s.run_once()
        if not done:
            return total
        total += done
    raise AssertionError("deliveries still due after many sweeps")


async def endpoint(sm: SessionMaker, rec: Receiver, now: datetime, events: Any = None) -> int:
    async with sm() as s, s.begin():
        ep, secret = await create_endpoint(s, now, url=rec.url, events=events, name="Smart Thanh Hóa")
    rec.secret = secret
    return ep.id


async def open_ticket(sm: SessionMaker, now: datetime) -> int:
    conv_id = await make_conversation(sm, now, name="Nguyễn Thị Bình")
    async with sm() as s, s.begin():
        conv = await s.get(Conversation, conv_id)
        out = await wf.open_ticket(
            s,
            conv,
            OPERATOR,
            now,
            content=f"Tôi là Nguyễn Thị Bình, SĐT {PHONE}, hỏi về học phí",
            full_name="Nguyễn Thị Bình",
            phone=PHONE,
        )
        return out.ticket.id


async def forward(sm: SessionMaker, ticket_id: int, now: datetime, cal: WorkingCalendar) -> int:
    ag = await agency_id(sm, "so-yte")
    async with sm() as s, s.begin():
        await wf.forward(s, ticket_id, OPERATOR, now, cal, ag, note="Đề nghị trả lời")
    return ag


async def test_workflow_events_arrive_signed_in_order_and_masked(
    database_url: str, receiver: Receiver, http: aiohttp.ClientSession, cal: WorkingCalendar
) -> None:
    clock = ManualClock(T0 + timedelta(hours=3))  # the sender runs after the workflow's steps
    async with migrated(database_url, T0) as sm:
        await endpoint(sm, receiver, T0)
        ticket_id = await open_ticket(sm, T0)
        ag = await forward(sm, ticket_id, T0 + timedelta(minutes=5), cal)
        officer = wf.Actor(user_id=None, role=Role.AGENCY, agency_id=ag)
        async with sm() as s, s.begin():
            await wf.progress(
                s, ticket_id, officer, T0 + timedelta(hours=1), "Đang xác minh", T0 + timedelta(days=2)
            )
        async with sm() as s, s.begin():
            await wf.answer(
                s, ticket_id, officer, T0 + timedelta(hours=2), f"Đã gọi lại số {PHONE}: miễn học phí"
            )
        assert await drain(sender(sm, http, clock)) == 4
    assert receiver.types() == ["ticket.created", "ticket.forwarded", "ticket.progress", "ticket.answered"]
    assert all(r.signature_ok for r in receiver.seen)
    bodies = [r.body for r in receiver.accepted]
    assert [b["type"] for b in bodies] == receiver.types()
    assert len({b["ticket"]["code"] for b in bodies}) == 1
    assert [b["ticket"]["status"] for b in bodies] == ["new", "forwarded", "in_progress", "answered"]
    assert bodies[1]["ticket"]["agency"] and bodies[2]["ticket"]["text"] == "Đang xác minh"
    assert "miễn học phí" in bodies[3]["ticket"]["answer"]
    everything = str(bodies)
    assert PHONE not in everything and "Bình" not in everything  # personal data never leaves


async def test_overdue_from_the_deadline_checker_once(
    database_url: str, receiver: Receiver, http: aiohttp.ClientSession, cal: WorkingCalendar
) -> None:
    clock = ManualClock(T0)
    async with migrated(database_url, T0) as sm:
        await endpoint(sm, receiver, T0, events=["ticket.overdue"])
        ticket_id = await open_ticket(sm, T0)
        await forward(sm, ticket_id, T0, cal)
        async with sm() as s, s.begin():
            await wf.check_deadlines(s, clock.now(), cal)
        assert await drain(sender(sm, http, clock)) == 0  # only overdue subscribed; not overdue yet
        clock.advance(days=3)
        for _ in range(2):  # the second scan finds nothing new
            async with sm() as s, s.begin():
                await wf.check_deadlines(s, clock.now(), cal)
        assert await drain(sender(sm, http, clock)) == 1
    assert receiver.types() == ["ticket.overdue"]
    assert receiver.accepted[0].body["ticket"]["missed_due_at"]


async def _delivery(sm: SessionMaker) -> list[WebhookDelivery]:
    async with sm() as s:
        return list((await s.execute(select(WebhookDelivery).order_by(WebhookDelivery.id))).scalars())


async def test_a_failing_receiver_gets_the_event_again_after_backoff_in_order(
    database_url: str, receiver: Receiver, http: aiohttp.ClientSession, cal: WorkingCalendar
) -> None:
    clock = ManualClock(T0)
    async with migrated(database_url, T0) as sm:
        await endpoint(sm, receiver, T0)
        ticket_id = await open_ticket(sm, T0)
        await forward(sm, ticket_id, T0, cal)  # a second event, queued behind the first
        receiver.fail_next = 2
        s1 = sender(sm, http, clock, max_attempts=5, base_delay=10, jitter=0)
        assert await drain(s1) == 1  # created: 500; forwarded waits behind it
        first = (await _delivery(sm))[0]
        assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
        clock.advance(seconds=9)
        assert await drain(s1) == 0  # not yet due: 10 s after the first failure
        clock.advance(seconds=1)
        assert await drain(s1) == 1  # second try: 500 again; next after 20 s
        clock.advance(seconds=20)
        assert await drain(s1) == 2  # third try delivered, then the forward
    assert [r.event for r in receiver.seen] == ["ticket.created"] * 3 + ["ticket.forwarded"]
    assert len({r.delivery for r in receiver.seen[:3]}) == 1  # the same delivery, again
    assert len({r.body["id"] for r in receiver.seen[:3]}) == 1
    assert receiver.types() == ["ticket.created", "ticket.forwarded"]
    assert [(d.status, d.attempts) for d in await _delivery(sm)] == [("delivered", 3), ("delivered", 1)]


async def test_the_retry_limit_fails_the_delivery_and_the_next_event_goes_on(
    database_url: str, receiver: Receiver, http: aiohttp.ClientSession, cal: WorkingCalendar
) -> None:
    clock = ManualClock(T0)
    async with migrated(database_url, T0) as sm:
        await endpoint(sm, receiver, T0)
        ticket_id = await open_ticket(sm, T0)
        await forward(sm, ticket_id, T0, cal)
        receiver.fail_next = 3
        s1 = sender(sm, http, clock, max_attempts=3, base_delay=1, jitter=0)
        for _ in range(3):
            await drain(s1)
            clock.advance(seconds=60)
        await drain(s1)
        created, forwarded = await _delivery(sm)
    assert (created.status, created.attempts, created.last_status_code) == ("failed", 3, 500)
    assert forwarded.status == "delivered"
    assert receiver.types() == ["ticket.forwarded"]


async def test_two_senders_never_deliver_one_delivery_twice_at_once(
    database_url: str, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    clock = ManualClock(T0)
    async with migrated(database_url, T0) as sm:
        for _ in range(4):  # four endpoints (same receiver, same secret check per endpoint)
            async with sm() as s, s.begin():
                _, secret = await create_endpoint(s, T0, url=receiver.url, events=["ticket.created"])
        receiver.secret = secret
        for _ in range(6):
            await open_ticket(sm, T0)
        async with sm() as s:
            events = len((await s.execute(select(WebhookEvent.id))).all())
        receiver.delay = 0.05
        a, b = sender(sm, http, clock), sender(sm, http, clock)
        for _ in range(100):
            if not any(await asyncio.gather(a.run_once(), b.run_once())):
                break
        deliveries = await _delivery(sm)
    assert events == 6 and len(deliveries) == 24
    last_endpoint = max(d.endpoint_id for d in deliveries)
    assert all(d.status == "delivered" for d in deliveries if d.endpoint_id == last_endpoint)
    ids = [r.delivery for r in receiver.seen]
    assert receiver.overlaps == 0
    assert receiver.most_at_once > 1  # the senders did work at the same time
    assert sorted(ids) == sorted({r.delivery for r in receiver.seen})  # none twice


def test_settings_come_from_the_environment_and_bad_values_stop_the_start() -> None:
    s = WebhookSettings.from_env({"HUB_WEBHOOK_MAX_ATTEMPTS": "3", "HUB_WEBHOOK_TIMEOUT_SECONDS": "30"})
    assert s.policy.max_attempts == 3 and s.claim_seconds >= 35 and s.poll_seconds == 2.0
    assert RetryPolicy(base_delay=30, max_delay=3600, jitter=0).delay(9) == timedelta(hours=1)
    assert timedelta(seconds=30) <= RetryPolicy(base_delay=30, jitter=0.2).delay(1) <= timedelta(seconds=36)
    for bad in ("abc", "-1", "nan", "inf"):
        with pytest.raises(ValueError, match="HUB_WEBHOOK_BASE_DELAY"):
            WebhookSettings.from_env({"HUB_WEBHOOK_BASE_DELAY": bad})
