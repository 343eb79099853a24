"""Storing a delivery and waking the workers: shared by webhooks, web chat and pollers."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.greeting import greeting_source
from bot.roles import profile_event, publish_wake, runs_workers
from bot.serialize import publish_message
from connectors.base import Attachment, Deliver, InboundMessage
from connectors.text import storable_profile
from storage.media import Keyring, content_path, media_keys, write_file
from storage.models import ChannelIdentity, Contact, Message
from storage.record.inbound import TextLimits, fit_profile, ingest
from storage.record.ingest import IngestResult
from storage.record.state import DbLeases

if TYPE_CHECKING:
    from bot.hub import Hub

log = logging.getLogger(__name__)

PROFILE_LEASE_SECONDS = 300.0  # one worker asks for a new sender's profile in this time


def stash_attachments(media_dir: Path, event: InboundMessage, keys: Keyring | None = None) -> InboundMessage:
    """Write inline attachment bytes (e-mail parts) to the media folder, content-addressed
    (a duplicate delivery writes nothing new), before the message row is stored. Blocking:
    ``store_events`` runs it in a thread."""
    if not any(a.data is not None for a in event.attachments):
        return event
    kept: list[Attachment] = []
    for a in event.attachments:
        if a.data is None:
            kept.append(a)
            continue
        path = write_file(content_path(media_dir, a.data), a.data, keys)
        kept.append(replace(a, data=None, size=len(a.data), meta={**a.meta, "stored_path": str(path)}))
    return replace(event, attachments=tuple(kept))


def text_limits(hub: Hub) -> TextLimits:
    return TextLimits(hub.settings.max_text_chars, hub.settings.max_text_chars_by_channel)


async def store_events(
    hub: Hub, events: Sequence[InboundMessage], *, headers: Mapping[str, str] | None = None
) -> list[IngestResult]:
    """Durably store every event (or keep it in ``webhook_failures``: its result has an
    ``error``), then (after commit) publish and schedule answers. Raises only when the
    database cannot be used right now. ``headers``: the delivery's, kept with a failure."""
    media = hub.settings.media_dir
    inline = any(a.data is not None for e in events for a in e.attachments)
    keys = await asyncio.to_thread(media_keys, hub.settings.env, media) if inline else None
    events = [await asyncio.to_thread(stash_attachments, media, e, keys) for e in events]
    results = await ingest(
        hub.sm,
        events,
        hub.clock,
        limits=text_limits(hub),
        headers=headers,
        greeting=greeting_source(hub.settings),
        capabilities={c.name: c.capabilities for c in hub.registry},
    )
    for event, res in zip(events, results, strict=True):
        if res.error is not None:
            hub.metrics.rejected(event.channel, "event")
        if res.message_id is not None:
            hub.metrics.inbound(event.channel, res.duplicate)
        if res.replies:
            await _publish_replies(hub, res.replies)
        if res.duplicate or res.message_id is None:
            continue
        await _after_commit(hub, event, res)
    return results


async def _after_commit(hub: Hub, event: InboundMessage, res: IngestResult) -> None:
    """Stored is stored: a failure to tell the live views does not fail the delivery (the
    pipeline's sweep finds the message anyway)."""
    if res.message is not None:  # the stored row itself (a new message always has it): no second read
        try:
            await publish_message(hub.bus, res.message)
        except Exception:
            log.exception("message %s stored but not published to the live views", res.message_id)
    if res.needs_processing and res.conversation_id is not None:
        hub.wake_conversation(res.conversation_id)
    if res.new_identity:
        if runs_workers(hub.role):
            hub.spawn(fetch_profile(hub, event.channel, event.external_user_id))
        else:  # a web process: a worker asks the channel (fetch_profile_once)
            hub.spawn(publish_wake(hub.bus, profile_event(event.channel, event.external_user_id)))


async def _publish_replies(hub: Hub, message_ids: Sequence[int]) -> None:
    """Bot messages the event queued (a follow's greeting): live views, then the relay."""
    for message_id in message_ids:
        try:
            await _publish_stored(hub, message_id)
        except Exception:
            log.exception("message %s stored but not published to the live views", message_id)
    hub.wake_outbox()


def deliver_for(hub: Hub) -> Deliver:
    async def deliver(events: Sequence[InboundMessage]) -> None:
        await store_events(hub, events)

    return deliver


async def _publish_stored(hub: Hub, message_id: int) -> None:
    """Publish a message known by its id only (read again from the database)."""
    async with hub.sm() as s:
        msg = await s.get(Message, message_id)
        if msg is not None:
            await publish_message(hub.bus, msg)


async def fetch_profile_once(hub: Hub, channel: str, external_id: str) -> None:
    """A worker heard of a new sender: of several workers, the one that takes the lease asks,
    unless another already did; the lease is released after (no row left per sender)."""
    leases, holder = DbLeases(hub.sm, hub.clock), secrets.token_hex(8)
    name = f"profile:{channel}:{external_id}"[:200]
    if not await leases.acquire(name, holder, PROFILE_LEASE_SECONDS):
        return
    try:
        if not await _profile_fetched(hub, channel, external_id):
            await fetch_profile(hub, channel, external_id)
    finally:
        await leases.release(name, holder)


async def _profile_fetched(hub: Hub, channel: str, external_id: str) -> bool:
    async with hub.sm() as s:
        fetched = await s.scalar(
            select(ChannelIdentity.profile_fetched_at).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
            )
        )
    return fetched is not None


async def fetch_profile(hub: Hub, channel: str, external_id: str) -> None:
    """First contact: ask the channel for the person's name (best effort)."""
    if channel not in hub.registry:
        return
    try:
        profile = await hub.registry.get(channel).fetch_profile(external_id)
    except Exception as err:
        log.info("could not fetch the %s profile of %s: %s", channel, external_id, err)
        return
    if profile is None:
        return
    profile = fit_profile(storable_profile(profile))
    async with hub.sm() as s, s.begin():
        identity = (
            await s.execute(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
                )
            )
        ).scalar_one_or_none()
        if identity is None:
            return
        identity.display_name = profile.display_name or identity.display_name
        identity.profile = {k: v for k, v in (("avatar_url", profile.avatar_url),) if v}
        identity.profile_fetched_at = hub.clock.now()
        contact = await s.get(Contact, identity.contact_id)
        if contact is not None:
            contact.display_name = contact.display_name or profile.display_name
            contact.full_name = contact.full_name or profile.full_name
            contact.phone = contact.phone or profile.phone
            contact.email = contact.email or profile.email
