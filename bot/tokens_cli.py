"""``python -m bot tokens …``: API tokens of ``/api/v1`` from the command line.

    python -m bot tokens add --name "Phản hồi Thanh Hóa" --scope tickets:create --scope tickets:read
    python -m bot tokens list
    python -m bot tokens revoke ID

``add`` prints the token once: only its SHA-256 is stored, it cannot be shown again.
Creating and revoking are written to the audit log (by ``cli``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.auth.api_tokens import SCOPES
from bot.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tokens", help="mã truy cập API /api/v1 cho ứng dụng khác")
    tsub = p.add_subparsers(dest="tokens_command", required=True)
    a = tsub.add_parser("add", help="tạo mã truy cập (chỉ in ra một lần)")
    a.add_argument("--name", required=True, help="tên ứng dụng dùng mã")
    a.add_argument("--scope", action="append", required=True, choices=SCOPES, help="phạm vi (lặp lại được)")
    tsub.add_parser("list", help="liệt kê mã truy cập")
    r = tsub.add_parser("revoke", help="thu hồi một mã truy cập")
    r.add_argument("id", type=int)
    p.set_defaults(func=run)


def _when(value: object) -> str:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else "-"


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.auth import api_tokens
    from bot.auth.audit import record
    from storage.clock import SystemClock
    from storage.migrate import upgrade
    from storage.session import create_engine, make_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sm = make_sessionmaker(engine)
        now = SystemClock().now()
        if args.tokens_command == "list":
            async with sm() as s:
                rows = await api_tokens.list_tokens(s)
            for t in rows:
                state = "thu hồi " + _when(t.revoked_at) if t.revoked_at else "hoạt động"
                used = _when(t.last_used_at) if t.last_used_at else "chưa dùng"
                print(f"{t.id}\t{t.name}\t{t.prefix}…\t{','.join(t.scopes)}\t{state}\t{used}")
            return 0
        try:
            async with sm() as s, s.begin():
                if args.tokens_command == "revoke":
                    row = await api_tokens.revoke_token(s, args.id, now)
                    secret = None
                else:
                    row, secret = await api_tokens.create_token(
                        s, name=args.name, scopes=args.scope, now=now, created_by="cli"
                    )
                action = "api_token_revoke" if secret is None else "api_token_create"
                detail = {"name": row.name, "scopes": row.scopes, "by": "cli"}
                record(
                    s,
                    user=None,
                    action=action,
                    object_type="api_token",
                    object_id=row.id,
                    now=now,
                    ip=None,
                    detail=detail,
                )
        except api_tokens.TokenError as err:
            print(f"Lỗi: {err}", file=sys.stderr)
            return 2
        if secret is None:
            print(f"Đã thu hồi mã truy cập {row.id} ({row.name}).")
        else:
            print(f"Đã tạo mã truy cập {row.id} cho {row.name} ({', '.join(row.scopes)}).", file=sys.stderr)
            print("Lưu mã này ngay: nó chỉ được hiển thị một lần.", file=sys.stderr)
            print(secret)
        return 0
    finally:
        await engine.dispose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run(args, settings))
