"""The ``webchat`` section of credentials.yml: ``load(section)``.

The web chat has no settings of its own: ``SCHEMA`` is empty. Its section only says whether
the channel is on (``enabled``, read by :class:`connectors.registry.ConnectorRegistry` like
``module`` for every channel); any other key is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.settings import Key

SCHEMA: tuple[Key, ...] = ()


@dataclass(frozen=True, slots=True)
class WebchatSettings:
    pass


def load(settings: Mapping[str, Any]) -> WebchatSettings:
    """Never refuses: there is nothing to configure."""
    return WebchatSettings()
