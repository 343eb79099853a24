"""The public site's tests use the console's fixtures: a hub app with a manual clock,
accounts of every role and logged-in HTTP clients."""

from tests.console.conftest import console_app, console_client, console_clock, people

__all__ = ["console_app", "console_client", "console_clock", "people"]
