"""``python -m bot`` / ``hub``: serve the hub, migrate the database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

# before numpy loads: its BLAS works on tiny matrices here, one thread; the FAQ model's own
# threads are set when it loads (faq.semantic.encoder_threads), and it never reaches for the network
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot import backup_cli, faq_cli, media_cli, serve, tokens_cli, users_cli
from bot.config import ENGINES, Settings
from bot.serve import ENGINE_HELP


def _with_engine(args: argparse.Namespace, settings: Settings) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, engine=args.engine) if args.engine else settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from bot.runner import run

    settings = _with_engine(args, settings)
    settings = dataclasses.replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    asyncio.run(run(settings, with_rasa=not args.no_rasa))
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import upgrade
    from storage.session import create_engine

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("Cơ sở dữ liệu đã được cập nhật lên phiên bản mới nhất.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hub", description="Tổng đài 1022 — omnichannel hub")
    sub = p.add_subparsers(dest="command", required=True)
    serve.add_parser(sub)
    r = sub.add_parser("run", help="chạy Rasa (huấn luyện khi dữ liệu đổi) rồi hub; dừng cả hai cùng nhau")
    r.add_argument("--host")
    r.add_argument("--port", type=int)
    r.add_argument(
        "--no-rasa",
        action="store_true",
        help="không chạy Rasa: hub tự đọc ý định tin nhắn (actions.cues) thay cho Rasa NLU",
    )
    r.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    r.set_defaults(func=_run)
    m = sub.add_parser("migrate", help="áp dụng migration cơ sở dữ liệu")
    m.set_defaults(func=_migrate)
    users_cli.add_parser(sub)
    faq_cli.add_parser(sub)
    backup_cli.add_parser(sub)
    tokens_cli.add_parser(sub)
    media_cli.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("alembic", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return int(args.func(args, settings))


if __name__ == "__main__":
    sys.exit(main())
