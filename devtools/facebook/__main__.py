"""``python -m devtools.facebook``: the Facebook simulator as a standalone demo (see
docs/facebook.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from devtools.facebook.server import FacebookSimulator


async def _serve(args: argparse.Namespace) -> None:
    sim = FacebookSimulator(
        webhook_url=args.webhook, auto_echo=bool(args.webhook), auto_delivery=bool(args.webhook)
    )
    await sim.start(args.host, args.port)
    print("Facebook simulator listening on", sim.base_url)
    print("Give the hub these environment variables:")
    for key, value in sim.env().items():
        print(f"export {key}={value}")
    if args.webhook:
        print(f"Webhooks go to {args.webhook}. A citizen writes with:")
        print(
            f"  curl -s -X POST {sim.base_url}/_sim/citizen -H 'Content-Type: application/json' "
            """-d '{"psid": "7001", "text": "Xin chào"}'"""
        )
    print(f"What the hub sent: curl -s {sim.base_url}/_sim/sent")
    print(
        f"Tap a quick reply:  curl -s -X POST {sim.base_url}/_sim/tap -H 'Content-Type: application/json' "
        """-d '{"psid": "7001", "button": 0}'"""
    )
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.facebook", description="Facebook Messenger Platform simulator (loopback)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9002)
    parser.add_argument(
        "--webhook", default=None, help="the hub's /webhooks/facebook URL, for echoes and demo"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
