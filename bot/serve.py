"""``python -m bot serve``: one process of a role (bot.roles), or a supervising parent of
``--workers N`` of them (bot.supervisor)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import signal
import sys

from aiohttp import web

from bot.config import ENGINES, Settings
from bot.roles import ROLES, check_role

log = logging.getLogger(__name__)

ENGINE_HELP = (
    "bộ máy hội thoại (mặc định HUB_ENGINE hoặc auto = hub: chính sách hội thoại của hub; "
    "rasa-dialogue: Rasa điều khiển cả hội thoại, để so sánh)"
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("serve", help="chạy hub (web chat, webhooks, bảng điều khiển, workers)")
    s.add_argument("--host", help="địa chỉ lắng nghe (mặc định HUB_HOST hoặc 127.0.0.1)")
    s.add_argument("--port", type=int, help="cổng (mặc định HUB_PORT hoặc 8022)")
    s.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    s.add_argument(
        "--role",
        choices=ROLES,
        help="web: chỉ nhận HTTP (webhook, web chat, bảng điều khiển); worker: trả lời, gửi, "
        "đọc thư, kiểm tra hạn, gửi báo cáo (không mở cổng); all: cả hai (mặc định HUB_ROLE hoặc all)",
    )
    s.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="số tiến trình cùng vai trò (mặc định HUB_PROCESSES hoặc 1); tiến trình web dùng chung "
        "một cổng; tiến trình con chết được chạy lại",
    )
    s.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # a supervised child
    s.set_defaults(func=serve)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    role = args.role or settings.role
    processes = args.workers if args.workers is not None else settings.processes
    problem = check_role(role, settings.database_url, processes)
    if problem is not None:
        print(f"Lỗi: {problem}", file=sys.stderr)
        return 2
    changes: dict[str, object] = {"role": role, "processes": processes}
    if args.engine:
        changes["engine"] = args.engine
    settings = dataclasses.replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    settings = dataclasses.replace(settings, **changes)  # type: ignore[arg-type]
    if processes > 1:
        return supervise(settings, args.engine)
    if role == "worker":
        asyncio.run(run_worker(settings))
        return 0
    return run_web(settings, reuse_port=args.reuse_port)


def child_command(settings: Settings, engine: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "bot", "serve", "--role", settings.role, "--workers", "1"]
    if settings.role != "worker":
        cmd += ["--host", settings.host, "--port", str(settings.port), "--reuse-port"]
    return cmd + (["--engine", engine] if engine else [])


def supervise(settings: Settings, engine: str | None) -> int:
    from bot.supervisor import Supervisor

    where = "" if settings.role == "worker" else f" trên http://{settings.host}:{settings.port}"
    log.info("Tổng đài hub: %d tiến trình %s%s", settings.processes, settings.role, where)
    return Supervisor(child_command(settings, engine), settings.processes, env=dict(os.environ)).run()


def run_web(settings: Settings, *, reuse_port: bool = False) -> int:
    from bot.app import create_app

    log.info("Tổng đài hub (%s): http://%s:%s/webchat/", settings.role, settings.host, settings.port)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=None,
        reuse_port=reuse_port or None,
    )
    return 0


async def run_worker(settings: Settings) -> None:
    """A worker process: the application's start-up and clean-up (the pipeline, the relay,
    the pollers, the scheduled jobs) without an HTTP site, until SIGTERM or SIGINT."""
    from bot.app import create_app

    if settings.worker_nice > 0:
        os.nice(settings.worker_nice)
    runner = web.AppRunner(await create_app(settings), handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    # printed whatever HUB_LOG_LEVEL says: supervisors and tests wait for this line
    print(f"Tổng đài hub: tiến trình worker {os.getpid()} đang chạy", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        log.info("tiến trình worker %d đã dừng", os.getpid())
