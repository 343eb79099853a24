"""Channels by name.

Connector *classes* register a factory under their channel name; the hub builds the
configured ones from ``credentials.yml`` at start and keeps the instances in a
:class:`ConnectorRegistry`. A channel whose settings are absent is off, and says why.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from connectors.base import Capabilities, ChannelNotConfigured, Connector, StateStore


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What the hub injects into every connector."""

    session: aiohttp.ClientSession
    state: StateStore
    settings: Mapping[str, Any]  # the channel's section of credentials.yml, ${VAR}s expanded
    clock: Callable[[], float]  # seconds since the epoch; tests move it


Factory = Callable[[ConnectorContext], Connector]

# channel name -> module that defines ``create(ctx) -> Connector``
BUILTIN: dict[str, str] = {
    "webchat": "connectors.webchat",
    "zalo": "connectors.zalo",
    "facebook": "connectors.facebook",
    "email": "connectors.email",
}


def load_factory(name: str, module: str | None = None) -> Factory:
    mod = importlib.import_module(module or BUILTIN[name])
    factory: Factory = mod.create
    return factory


@dataclass
class ConnectorRegistry:
    connectors: dict[str, Connector] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)  # name -> why it is off

    def add(self, connector: Connector) -> None:
        self.connectors[connector.name] = connector

    def get(self, name: str) -> Connector:
        try:
            return self.connectors[name]
        except KeyError:
            raise KeyError(f"channel {name!r} is not enabled") from None

    def capabilities(self, name: str) -> Capabilities:
        """What channel ``name`` can show; a channel that is off shows nothing tap-able."""
        connector = self.connectors.get(name)
        return connector.capabilities if connector is not None else Capabilities()

    def __contains__(self, name: object) -> bool:
        return name in self.connectors

    def __iter__(self) -> Iterator[Connector]:
        return iter(self.connectors.values())

    @classmethod
    def build(
        cls,
        sections: Mapping[str, Mapping[str, Any]],
        make_ctx: Callable[[str, Mapping[str, Any]], ConnectorContext],
    ) -> ConnectorRegistry:
        """Build every channel named in ``sections``; a channel that raises
        :class:`ChannelNotConfigured` is recorded as disabled with its reason."""
        reg = cls()
        for name, section in sections.items():
            section = dict(section or {})
            module = section.pop("module", None)
            if section.pop("enabled", True) is False:
                reg.disabled[name] = "tắt trong credentials.yml"
                continue
            try:
                factory = load_factory(name, module)
            except (ImportError, AttributeError, KeyError) as err:
                reg.disabled[name] = f"không nạp được connector: {err}"
                continue
            try:
                reg.add(factory(make_ctx(name, section)))
            except ChannelNotConfigured as err:
                reg.disabled[name] = str(err)
        return reg
