"""What the web chat's HTTP API (:mod:`connectors.webchat.api`) needs from the hub, and
nothing more: the channel's folder never touches the database. ``bot/webchat.py``
implements :class:`WebchatBackend` with the database, the conversation record and the
event bus, and mounts the API with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from aiohttp import web

from connectors.base import Connector, InboundMessage


class Visitor(Protocol):
    """A web chat session's visitor, as the hub knows them."""

    @property
    def external_id(self) -> str:
        """The id their messages are stored under (the ``session`` of a posted message)."""
        ...


V = TypeVar("V", bound=Visitor)


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    id: int
    state: str
    previous_id: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    """A posted message as stored (``duplicate``: the same ``client_id`` came before)."""

    message_id: int | None
    seq: int | None
    duplicate: bool
    conversation_id: int | None


@dataclass(frozen=True, slots=True)
class History:
    """A visitor's conversations (oldest first, the last is the current one) and the
    messages asked for (at most the ``limit`` given), each as the live events carry it."""

    conversations: list[ConversationInfo]
    messages: list[dict[str, Any]]


class Feed(Protocol):
    """Live events of some conversations, until closed."""

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...

    async def close(self) -> None: ...


class WebchatBackend(Protocol[V]):
    async def read_json(self, request: web.Request) -> dict[str, Any]:
        """The body as one bounded JSON object with storable strings (``{}`` when empty);
        past a bound a 400/413 whose body is ``{"error": ...}``."""
        ...

    async def visitor_for(self, token: str) -> V | None:
        """The session's visitor (None: no such session); marks the session seen."""
        ...

    async def new_session(self) -> tuple[str, V]:
        """A new visitor and the token of their session."""
        ...

    async def current(self, visitor: V) -> ConversationInfo:
        """The visitor's newest conversation, whatever its state; a visitor without one
        gets it now, opened with the greeting."""
        ...

    def connector(self) -> Connector:
        """The web chat's connector, which reads a posted message."""
        ...

    async def store(self, events: Sequence[InboundMessage]) -> Stored:
        """Store the one posted message (after a close, in a new conversation linked to
        the closed one), then publish it and schedule its answer."""
        ...

    async def history(self, visitor: V, *, after_seq: int | None, after_id: int, limit: int) -> History:
        """Every conversation's messages with an id above ``after_id`` by id, or with
        ``after_seq`` the current conversation's above that seq by seq."""
        ...

    async def live_conversations(self, visitor: V) -> list[int]:
        """The newest of the visitor's conversations, whose events the WebSocket relays."""
        ...

    async def subscribe(self, conversation_ids: Sequence[int]) -> Feed:
        """The live events of these conversations."""
        ...
