"""``python -m devtools.zalo``: the Zalo OA simulator as a standalone demo (see docs/zalo.md)."""

from __future__ import annotations

import argparse
import asyncio
import json

from devtools.zalo.server import ZaloSimulator


async def _serve(args: argparse.Namespace) -> None:
    sim = ZaloSimulator(
        host=args.host,
        port=args.port,
        app_id=args.app_id,
        oa_id=args.oa_id,
        app_secret=args.app_secret,
        oa_secret_key=args.oa_secret_key,
        webhook_url=args.webhook,
    )
    await sim.start()
    sim.access_tokens = {args.access_token}
    sim.refresh_token = args.refresh_token
    sim.add_user(
        "Nguyễn Thị Hoa", user_id=args.user_id, phone="0912345678", address="Phường Điện Biên, Thanh Hóa"
    )
    say = '{"text": "Xin chào, tôi muốn hỏi về đăng ký tạm trú"}'
    console = json.dumps({"user_id": args.user_id, "text": "Cán bộ trả lời trong OA"}, ensure_ascii=False)
    expire = '{"expire_token": true}'
    lines = [f"Zalo OA simulator listening on {sim.base_url}", "Give the hub these environment variables:"]
    lines += [f"export {key}={value}" for key, value in sim.env().items()]
    lines += [
        f"# demo citizen user_id: {args.user_id}; webhook target: {args.webhook or '(none: use --webhook)'}",
        f"# a citizen writes:        curl -s -X POST {sim.base_url}/_sim/say -d '{say}'",
        f"# staff reply in console:  curl -s -X POST {sim.base_url}/_sim/console -d '{console}'",
        f"# what the OA sent:        curl -s {sim.base_url}/_sim/sent",
        f"# tap a button (0-based):  curl -s -X POST {sim.base_url}/_sim/tap -d "
        f'\'{{"user_id": "{args.user_id}", "button": 0}}\'',
        f"# expire the access token: curl -s -X POST {sim.base_url}/_sim/faults -d '{expire}'",
        "# announcements (docs/zalo.md, Tin truyền thông / broadcasts):",
        f"#   add followers:         curl -s -X POST {sim.base_url}/_sim/followers -d '{{\"count\": 300}}'",
        f"#   OA state and rules:    curl -s -X POST {sim.base_url}/_sim/oa -d '{{\"utc_offset_hours\": 7}}'",
        f"#   promotions accepted:   curl -s {sim.base_url}/_sim/promotions",
        f"#   articles, broadcasts:  curl -s {sim.base_url}/_sim/broadcasts",
    ]
    print("\n".join(lines), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.zalo", description="Zalo OA simulator (loopback only)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--webhook", default=None, help="hub URL, e.g. http://127.0.0.1:8080/webhooks/zalo")
    parser.add_argument("--app-id", default="4291763606161179100")
    parser.add_argument("--oa-id", default="1873626290543196385")
    parser.add_argument("--app-secret", default="sim-app-secret")
    parser.add_argument("--oa-secret-key", default="sim-oa-secret-key")
    parser.add_argument("--user-id", default="8063947237857451397")
    parser.add_argument("--access-token", default="sim-demo-access-token")
    parser.add_argument("--refresh-token", default="sim-demo-refresh-token")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
