"""``python -m bot run``: what ``make run`` starts — Rasa (its own Python 3.10 process on
loopback, trained only when its data changed) and then the hub, which waits for Rasa to
be ready; Ctrl-C or SIGTERM stops both.

The hub's conversation engine owns the dialogue; Rasa's NLU (``/model/parse``) reads the
dialogue acts and entities. Without Rasa (``--no-rasa``, or when its virtualenv cannot be
built here) the same engine reads them with the hub's own cues, and says why.
``--engine rasa-dialogue`` lets Rasa run the whole dialogue instead (for comparison)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal

from aiohttp import web

from bot.app import create_app
from bot.config import Settings

log = logging.getLogger(__name__)


async def start_rasa(settings: Settings) -> object | None:
    """Build the Rasa virtualenv and model if needed and start Rasa; None when it cannot."""
    from bot import rasa_process as rp

    try:
        log.info("Rasa: kiểm tra môi trường ảo .venv-rasa (lần đầu có thể mất vài phút)…")
        await asyncio.to_thread(rp.ensure_venv)
        log.info("Rasa: kiểm tra mô hình (chỉ huấn luyện lại khi dữ liệu thay đổi)…")
        info = await asyncio.to_thread(rp.train_if_needed)
        port = int(settings.env.get("RASA_PORT") or rp.DEFAULT_PORT)
        process = rp.RasaProcess(
            info.path,
            port=port,
            auth_token=settings.env.get("RASA_AUTH_TOKEN") or None,
            extra_env={"HUB_PORT": str(settings.port)},
        )
        log.info("Rasa: đang khởi động trên %s, hub chờ đến khi sẵn sàng…", process.url)
        await process.start()
        log.info("Rasa sẵn sàng sau %.1f s", process.ready_seconds or 0.0)
        return process
    except (rp.RasaSetupError, OSError, TimeoutError) as err:
        log.warning("Không chạy được Rasa (%s): hub tự đọc ý định tin nhắn (không có Rasa NLU)", err)
        return None


def with_rasa_at(settings: Settings, url: str) -> Settings:
    """Settings for a hub whose Rasa runs at ``url``: Rasa's NLU (or Rasa's dialogue)."""
    env = {**settings.env, "HUB_RASA_URL": url}
    engine = "hub" if settings.engine == "auto" else settings.engine
    nlu = "rasa" if settings.nlu == "auto" else settings.nlu
    return dataclasses.replace(settings, engine=engine, nlu=nlu, rasa_url=url, env=env)


def without_rasa(settings: Settings) -> Settings:
    """Settings for a hub with no Rasa: the conversation engine reads with the hub's cues."""
    env = {k: v for k, v in settings.env.items() if k != "HUB_RASA_URL"}
    engine = settings.engine
    if engine in ("auto", "rasa", "rasa-dialogue"):
        if engine == "rasa-dialogue":
            log.warning("Không có Rasa: dùng bộ máy hội thoại của hub thay cho rasa-dialogue")
        engine = "hub"
    return dataclasses.replace(settings, engine=engine, nlu="cues", env=env)


async def run(settings: Settings, *, with_rasa: bool = True) -> None:
    rasa = await start_rasa(settings) if with_rasa else None
    if rasa is not None:
        settings = with_rasa_at(settings, rasa.url)  # type: ignore[attr-defined]
    else:
        settings = without_rasa(settings)
    log.info("bộ máy hội thoại: %s, đọc ý định bằng %s", settings.engine, settings.nlu)
    runner = web.AppRunner(await create_app(settings), access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        log.info("Tổng đài hub: http://%s:%s/webchat/ (Ctrl-C để dừng)", settings.host, settings.port)
        waits = [asyncio.create_task(stop.wait())]
        proc = getattr(rasa, "proc", None)
        if proc is not None:
            waits.append(asyncio.create_task(proc.wait()))
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if not stop.is_set():
            log.error("Rasa đã dừng bất ngờ: hub dừng theo để trình quản lý dịch vụ khởi động lại cả hai")
    finally:
        log.info("đang dừng hub…")
        await runner.cleanup()
        if rasa is not None:
            log.info("đang dừng Rasa…")
            await rasa.stop()  # type: ignore[attr-defined]
