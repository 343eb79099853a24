"""One way for a channel to declare and read its section of ``credentials.yml``.

Each channel folder has a ``settings.py`` with a ``SCHEMA`` (a tuple of :class:`Key`: name,
environment variable, required, default, meaning: the table docs point to), a frozen
settings dataclass and ``load(section)`` that reads the section through a :class:`Section`.
The hub expands ``${VAR}`` before a connector sees the section, so values are mostly
strings; a value that is absent, ``None`` or only white space is *blank* and reads as the
key's default. Readers raise :class:`ChannelNotConfigured` with the channel's own Vietnamese
message, a ``str.format`` template given ``key``, ``env``, ``value`` (as found) and
``text`` (as found, stripped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base import ChannelNotConfigured

TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off"})
_SCHEMA_DEFAULT: Any = object()  # a reader's ``default`` not given: the key's own


@dataclass(frozen=True, slots=True)
class Key:
    """One settings key of a channel."""

    name: str
    # its environment variable: credentials.yml reads it for the keys it lists; for the others,
    # the name to give when adding the key; error messages name it
    env: str
    required: bool = False
    default: Any = None  # what a blank value reads as
    meaning: str = ""


class Section:
    """A channel's section, read against its schema."""

    def __init__(self, values: Mapping[str, Any], schema: Sequence[Key]) -> None:
        self.values = values
        self.keys = {key.name: key for key in schema}

    def blank(self, key: str) -> bool:
        value = self.values.get(key)
        return value is None or str(value).strip() == ""

    def missing(self) -> list[Key]:
        """The required keys whose value is blank, in schema order."""
        return [key for key in self.keys.values() if key.required and self.blank(key.name)]

    def fail(self, template: str, key: str) -> ChannelNotConfigured:
        value = self.values.get(key)
        text = "" if value is None else str(value).strip()
        return ChannelNotConfigured(template.format(key=key, env=self.keys[key].env, value=value, text=text))

    def _default(self, key: str, default: Any) -> Any:
        return self.keys[key].default if default is _SCHEMA_DEFAULT else default

    def text(self, key: str, default: Any = _SCHEMA_DEFAULT, *, strip: bool = True) -> str:
        """The value as a string (stripped unless ``strip=False``); blank: the default, or ``""``."""
        if self.blank(key):
            fallback = self._default(key, default)
            return "" if fallback is None else str(fallback)
        value = str(self.values[key])
        return value.strip() if strip else value

    def optional_text(self, key: str, *, strip: bool = True) -> str | None:
        """The value as a string (stripped unless ``strip=False``), ``None`` when blank."""
        return None if self.blank(key) else self.text(key, strip=strip)

    def number(
        self, key: str, default: Any = _SCHEMA_DEFAULT, *, invalid: str, positive: str | None = None
    ) -> float:
        """A float; ``invalid`` when it is not a number, ``positive`` (if given) when <= 0."""
        if self.blank(key):
            return float(self._default(key, default))
        try:
            value = float(self.text(key))
        except ValueError:
            raise self.fail(invalid, key) from None
        if positive is not None and value <= 0:
            raise self.fail(positive, key)
        return value

    def integer(self, key: str, default: Any = _SCHEMA_DEFAULT, *, invalid: str) -> int:
        if self.blank(key):
            return int(self._default(key, default))
        try:
            return int(self.text(key))
        except ValueError:
            raise self.fail(invalid, key) from None

    def boolean(self, key: str, default: Any = _SCHEMA_DEFAULT, *, invalid: str) -> bool:
        """``true``/``false``, also ``1/0``, ``yes/no``, ``on/off`` (any case) or a YAML bool."""
        if self.blank(key):
            return bool(self._default(key, default))
        value = self.values[key]
        if isinstance(value, bool):
            return value
        text = self.text(key).lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise self.fail(invalid, key)
