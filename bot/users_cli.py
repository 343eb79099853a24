"""``python -m bot users …``: console accounts from the command line (the first admin).

    python -m bot users add --role admin --username quantri [--full-name "…"]
    python -m bot users add --role agency --username yte01 --agency so-yte
    python -m bot users list
    python -m bot users seed          # agencies and domains from handoff/data/agencies.yml

The password is read from the HUB_NEW_PASSWORD environment variable or asked twice
on the terminal (never a command-line argument: it would show in the process list).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from sqlalchemy import select

from bot.config import Settings

ROLES = ("operator", "agency", "supervisor", "admin", "communications")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help="tài khoản bảng điều khiển (console)")
    usub = p.add_subparsers(dest="users_command", required=True)
    a = usub.add_parser("add", help="tạo tài khoản")
    a.add_argument("--username", required=True)
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--agency", help="mã đơn vị (bắt buộc với vai trò agency), ví dụ so-yte")
    a.add_argument("--full-name", default="")
    usub.add_parser("list", help="liệt kê tài khoản")
    usub.add_parser("seed", help="nạp đơn vị và lĩnh vực mặc định nếu CSDL còn trống")
    p.set_defaults(func=run)


def _password() -> str:
    if pw := os.environ.get("HUB_NEW_PASSWORD"):
        return pw
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\n")
        if line:
            return line
        raise SystemExit("Cần mật khẩu: đặt HUB_NEW_PASSWORD hoặc nhập từ bàn phím")
    first = getpass.getpass("Mật khẩu: ")
    if first != getpass.getpass("Nhập lại mật khẩu: "):
        raise SystemExit("Hai lần nhập mật khẩu không khớp")
    return first


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.auth.accounts import AGENCY_REQUIRED, AccountError, create_user
    from bot.auth.passwords import WeakPassword
    from handoff.seed import load_seed, seed
    from storage.clock import SystemClock
    from storage.migrate import upgrade
    from storage.models_console import Agency, User
    from storage.session import create_engine, make_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sm = make_sessionmaker(engine)
        now = SystemClock().now()
        async with sm() as s, s.begin():
            seeded = await seed(s, load_seed(settings.env), now)
        if args.users_command == "seed":
            print("Đã nạp đơn vị và lĩnh vực mặc định." if seeded else "CSDL đã có đơn vị: không thay đổi.")
            return 0
        if args.users_command == "list":
            async with sm() as s:
                rows = (
                    await s.execute(
                        select(User, Agency.code)
                        .outerjoin(Agency, Agency.id == User.agency_id)
                        .order_by(User.username)
                    )
                ).all()
            for user, code in rows:
                print(
                    f"{user.username}\t{user.role}\t{code or '-'}\t{'hoạt động' if user.active else 'khóa'}"
                )
            return 0
        password = _password()
        try:
            async with sm() as s, s.begin():
                user = await create_user(
                    s,
                    username=args.username,
                    password=password,
                    role=args.role,
                    now=now,
                    full_name=args.full_name,
                    agency_code=args.agency,
                )
        except (AccountError, WeakPassword) as err:
            hint = " (tùy chọn --agency MÃ)" if str(err) == AGENCY_REQUIRED else ""
            print(f"Lỗi: {err}{hint}", file=sys.stderr)
            return 2
        print(f"Đã tạo tài khoản {user.username} (vai trò {user.role}).")
        return 0
    finally:
        await engine.dispose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run(args, settings))
