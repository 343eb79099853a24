"""Generic code asks a channel's capabilities, never its name (issue 13, "a channel is its
folder"): threading and an id that is an e-mail address follow ``Capabilities``, on SQLite
and PostgreSQL; a channel with its own API has no webhook route."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connectors.base import Capabilities, EventKind, InboundMessage
from connectors.email import EmailConnector
from connectors.facebook import FacebookConnector
from connectors.webchat import WebchatConnector
from connectors.zalo import ZaloConnector
from storage.clock import ManualClock
from storage.models import ChannelIdentity, Contact, Conversation
from storage.record.ingest import ingest_one
from storage.session import SessionMaker

LETTERS = Capabilities(threaded=True, sender_is_email_address=True)


def _message(channel: str, mid: str) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        kind=EventKind.MESSAGE,
        external_user_id="dan@example.org",
        channel_message_id=mid,
        text="Nội dung",
        auto_generated=True,  # stored, never answered: no pipeline here
    )


async def _contact_email(sm: SessionMaker, channel: str) -> str | None:
    async with sm() as s:
        return (
            await s.execute(
                select(Contact.email)
                .join(ChannelIdentity, ChannelIdentity.contact_id == Contact.id)
                .where(ChannelIdentity.channel == channel)
            )
        ).scalar_one()


async def test_threads_and_addresses_follow_the_capabilities(sm: SessionMaker, clock: ManualClock) -> None:
    caps = {"letters": LETTERS}
    # a threaded channel, whatever its name: a message answering none of ours is a new thread
    first = await ingest_one(sm, _message("letters", "<1@example.org>"), clock, capabilities=caps)
    second = await ingest_one(sm, _message("letters", "<2@example.org>"), clock, capabilities=caps)
    assert first.conversation_id != second.conversation_id
    async with sm() as s:
        conv = await s.get(Conversation, first.conversation_id)
        assert conv is not None and conv.thread_key == "<1@example.org>"
    assert await _contact_email(sm, "letters") == "dan@example.org"
    # the name "email" alone threads nothing: without its capabilities one open conversation
    third = await ingest_one(sm, _message("email", "<3@example.org>"), clock, capabilities=caps)
    fourth = await ingest_one(sm, _message("email", "<4@example.org>"), clock, capabilities=caps)
    assert third.conversation_id == fourth.conversation_id
    assert await _contact_email(sm, "email") is None


def test_each_connector_declares_what_generic_code_asks() -> None:
    email = EmailConnector.capabilities
    assert email.threaded and email.sender_is_email_address and not email.own_api
    web = WebchatConnector.capabilities
    assert web.own_api and web.delivered_when_stored and not web.threaded
    for chat in (ZaloConnector.capabilities, FacebookConnector.capabilities):
        assert not (chat.threaded or chat.sender_is_email_address or chat.own_api)


async def test_a_channel_with_its_own_api_has_no_webhook(client: Any) -> None:
    resp = await client.post("/webhooks/webchat", data=b"{}")
    assert resp.status == 404
