"""The Page's Messenger Profile: the "Get Started" button and the greeting a person sees
before writing for the first time (``POST /me/messenger_profile``).

A tap on "Get Started" reaches the hub as a postback whose payload is the text the bot reads
(:mod:`connectors.facebook.parse`), so the payload is plain text a citizen could type; the
default, "Xin chào", is a greeting the policy answers with the hotline's own greeting.

Command line (reads ``FACEBOOK_PAGE_ACCESS_TOKEN``, ``FACEBOOK_APP_SECRET`` and, when set,
``FACEBOOK_GRAPH_BASE``; see docs/facebook.md)::

    python -m connectors.facebook.profile --greeting "Chào {{user_first_name}}! ..." \\
        [--get-started "Xin chào"] [--graph-base http://127.0.0.1:9002/v21.0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from connectors.base import ChannelError, PermanentSendError, SendError
from connectors.facebook.client import GraphClient
from connectors.facebook.settings import DEFAULT_GRAPH_BASE

PROFILE_PATH = "me/messenger_profile"
GREETING_MAX = 160  # Messenger: greeting text of at most 160 characters
PAYLOAD_MAX = 1000  # Messenger: get_started payload of at most 1,000 characters
DEFAULT_GET_STARTED = "Xin chào"


class ProfileInvalid(ChannelError):
    """The greeting or the Get Started payload is not what Messenger accepts."""


@dataclass(frozen=True, slots=True)
class MessengerProfile:
    greeting: str  # may hold {{user_first_name}}, {{user_last_name}}, {{user_full_name}}
    get_started: str = DEFAULT_GET_STARTED  # the text the bot reads when the button is tapped

    def body(self) -> dict[str, Any]:
        """The request body; raises :class:`ProfileInvalid` (Vietnamese reason)."""
        greeting, payload = self.greeting.strip(), self.get_started.strip()
        if not greeting or len(greeting) > GREETING_MAX:
            raise ProfileInvalid(f"Lời chào phải có từ 1 đến {GREETING_MAX} ký tự (đang có {len(greeting)}).")
        if not payload or len(payload) > PAYLOAD_MAX:
            raise ProfileInvalid(f"Nội dung nút Bắt đầu phải có từ 1 đến {PAYLOAD_MAX} ký tự.")
        return {
            "get_started": {"payload": payload},
            "greeting": [{"locale": "default", "text": greeting}],
        }


async def set_messenger_profile(client: GraphClient, profile: MessengerProfile) -> None:
    """Set the Page's Get Started button and greeting. Graph failures raise our
    :class:`SendError` family (see :mod:`connectors.facebook.errors`)."""
    data = await client.post_json(PROFILE_PATH, profile.body())
    if data.get("result") != "success":
        raise PermanentSendError(f"Facebook không xác nhận cài đặt hồ sơ Messenger: {data!r}", code="profile")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.facebook.profile",
        description="Đặt nút Bắt đầu (Get Started) và lời chào của Trang Facebook.",
    )
    parser.add_argument("--greeting", required=True, help=f"lời chào, tối đa {GREETING_MAX} ký tự")
    parser.add_argument("--get-started", default=DEFAULT_GET_STARTED, help="văn bản bot nhận khi bấm nút")
    parser.add_argument(
        "--graph-base", default=None, help=f"mặc định FACEBOOK_GRAPH_BASE hoặc {DEFAULT_GRAPH_BASE}"
    )
    return parser


async def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    token, secret = env.get("FACEBOOK_PAGE_ACCESS_TOKEN", ""), env.get("FACEBOOK_APP_SECRET", "")
    needed = (("FACEBOOK_PAGE_ACCESS_TOKEN", token), ("FACEBOOK_APP_SECRET", secret))
    missing = [name for name, value in needed if not value]
    if missing:
        print("Thiếu biến môi trường " + ", ".join(missing), file=sys.stderr)
        return 2
    base = args.graph_base or env.get("FACEBOOK_GRAPH_BASE") or DEFAULT_GRAPH_BASE
    profile = MessengerProfile(greeting=args.greeting, get_started=args.get_started)
    try:
        profile.body()
    except ProfileInvalid as err:
        print(err, file=sys.stderr)
        return 2
    async with aiohttp.ClientSession() as session:
        client = GraphClient(session, graph_base=base, access_token=token, app_secret=secret)
        try:
            await set_messenger_profile(client, profile)
        except SendError as err:
            print(f"Không đặt được hồ sơ Messenger: {err.reason}", file=sys.stderr)
            return 1
    print(f"Đã đặt nút Bắt đầu ({profile.get_started!r}) và lời chào của Trang.")
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(_parser().parse_args(argv), os.environ))


if __name__ == "__main__":
    raise SystemExit(main())
