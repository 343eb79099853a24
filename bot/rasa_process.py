"""Set up, train and run the Rasa dialogue engine as a child process (no Rasa import here).

Rasa 3.6 runs in its own Python 3.10 virtualenv ``.venv-rasa`` (pins in
``requirements-rasa.txt``), listens on loopback only and calls the hub back for custom
actions (``endpoints.yml``). This module:

* creates the virtualenv when it is missing or its pins changed (:func:`ensure_venv`);
* trains only when the inputs changed (:func:`train_if_needed`): the SHA-256 of
  ``config.yml``, ``domain.yml``, ``nlu_data/``, ``rasa_addons/``, the FAQ normaliser and
  the pins names the model ``models/hotline-<hash12>.tar.gz`` and is written next to it in
  ``models/hotline-<hash12>.json``;
* renders ``endpoints.yml`` (``${VAR:-default}``) to ``var/rasa/endpoints.yml`` and
  writes a REST-only ``var/rasa/credentials.yml`` (the repo's ``credentials.yml`` is the
  hub's, not Rasa's);
* starts ``rasa run --enable-api -i 127.0.0.1`` and waits until ``/status`` reports a
  loaded model, logging progress (:class:`RasaProcess`); stops it with SIGTERM, then
  SIGKILL.

CLI: ``python -m bot.rasa_process setup|train|serve [--force] [--port N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.config import expand_vars

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-rasa"
REQUIREMENTS = ROOT / "requirements-rasa.txt"
MODELS = ROOT / "models"
RUN_DIR = ROOT / "var" / "rasa"
MODEL_PREFIX = "hotline-"
PYTHON_VERSION = "3.10.13"
DEFAULT_PORT = 5005

HASHED_INPUTS = (
    "config.yml",
    "domain.yml",
    "nlu_data",
    "rasa_addons",
    "faq/normalize.py",
    "faq/data/teencode.tsv",
    "requirements-rasa.txt",
)


class RasaSetupError(RuntimeError):
    """The Rasa virtualenv, training or process could not be set up."""


# --- virtualenv -------------------------------------------------------------------------


def rasa_executable(venv: Path = VENV) -> Path:
    return venv / "bin" / "rasa"


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(cmd: list[str], env: Mapping[str, str] | None = None, log_path: Path | None = None) -> None:
    logger.info("running: %s", " ".join(cmd))
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            result = subprocess.run(cmd, cwd=ROOT, env=dict(env or os.environ), stdout=log, stderr=log)
    else:
        result = subprocess.run(cmd, cwd=ROOT, env=dict(env or os.environ))
    if result.returncode != 0:
        where = f" (log: {log_path})" if log_path else ""
        raise RasaSetupError(f"command failed with exit code {result.returncode}: {' '.join(cmd)}{where}")


def _python310() -> list[str]:
    explicit = os.environ.get("RASA_PYTHON")
    if explicit:
        return [explicit]
    found = shutil.which("python3.10")
    if not found:
        raise RasaSetupError("python3.10 not found: set RASA_PYTHON to a Python 3.10 interpreter")
    return [found]


def ensure_venv(venv: Path = VENV, requirements: Path = REQUIREMENTS) -> bool:
    """Create/update the Rasa virtualenv from the pins; True if anything was installed."""
    stamp = venv / ".requirements.sha256"
    wanted = _sha256_file(requirements)
    if rasa_executable(venv).exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return False
    env = {**os.environ, "PYENV_VERSION": PYTHON_VERSION}
    log_path = RUN_DIR / "install.log"
    if not (venv / "bin" / "python").exists():
        _run([*_python310(), "-m", "venv", str(venv)], env=env, log_path=log_path)
    pip = str(venv / "bin" / "pip")
    _run([pip, "install", "--disable-pip-version-check", "-r", str(requirements)], env=env, log_path=log_path)
    stamp.write_text(wanted + "\n")
    return True


# --- training ---------------------------------------------------------------------------


def _files(root: Path, names: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for name in names:
        path = root / name
        if path.is_dir():
            found += [
                p
                for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            ]
        elif path.is_file():
            found.append(path)
    return sorted(found)


def inputs_hash(root: Path = ROOT, names: Iterable[str] = HASHED_INPUTS) -> str:
    """SHA-256 over the relative paths and bytes of everything that shapes the model."""
    digest = hashlib.sha256()
    for path in _files(root, names):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    digest: str
    trained: bool  # False: an up-to-date model was already there
    seconds: float = 0.0


def model_path_for(digest: str, models: Path = MODELS) -> Path:
    return models / f"{MODEL_PREFIX}{digest[:12]}.tar.gz"


def rasa_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of a Rasa command: repo on PYTHONPATH, no telemetry, quiet, private cache."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
            "RASA_CACHE_DIRECTORY": str(RUN_DIR / "cache"),  # not ./.rasa in the work tree
        }
    )
    env.pop("PYENV_VERSION", None)
    env.update(extra or {})
    return env


def train_if_needed(force: bool = False, models: Path = MODELS, keep: int = 2) -> ModelInfo:
    """Train unless ``models/`` already holds the model of the current inputs."""
    digest = inputs_hash()
    target = model_path_for(digest, models)
    if target.exists() and not force:
        logger.info("Rasa model up to date: %s", target.name)
        return ModelInfo(target, digest, trained=False)
    models.mkdir(parents=True, exist_ok=True)
    logger.info("training Rasa model %s (inputs changed)", target.name)
    started = time.monotonic()
    cmd = [
        str(rasa_executable()),
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "nlu_data",
        "--out",
        str(models),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    subprocess_env = rasa_env()
    _run(cmd, env=subprocess_env, log_path=RUN_DIR / "train.log")
    seconds = time.monotonic() - started
    meta = {"sha256": digest, "model": target.name, "trained_at": time.time(), "seconds": round(seconds, 1)}
    target.with_name(target.name.removesuffix(".tar.gz") + ".json").write_text(json.dumps(meta, indent=2))
    _prune(models, keep)
    logger.info("Rasa model trained in %.1f s: %s", seconds, target.name)
    return ModelInfo(target, digest, trained=True, seconds=seconds)


def _prune(models: Path, keep: int) -> None:
    tars = sorted(models.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in tars[keep:]:
        old.unlink(missing_ok=True)
        old.with_name(old.name.removesuffix(".tar.gz") + ".json").unlink(missing_ok=True)


# --- endpoints / credentials ------------------------------------------------------------


def _clean(section: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in section.items():
        if value in ("", None):
            continue
        cleaned[key] = int(value) if key in {"port", "db"} and str(value).isdigit() else value
    return cleaned


def render_endpoints(template: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """The endpoints Rasa gets: variables expanded, empty keys dropped, stores simplified."""
    data = expand_vars(yaml.safe_load(template.read_text(encoding="utf-8")) or {}, env)
    rendered: dict[str, Any] = {}
    for name, section in data.items():
        rendered[name] = _clean(section) if isinstance(section, dict) else section
    lock = rendered.get("lock_store")
    if isinstance(lock, dict) and lock.get("type") == "in_memory":
        rendered["lock_store"] = {"type": "in_memory"}
    tracker = rendered.get("tracker_store")
    if isinstance(tracker, dict) and tracker.get("dialect") == "sqlite":
        (ROOT / tracker.get("db", "rasa.db")).parent.mkdir(parents=True, exist_ok=True)
    return rendered


def write_run_files(run_dir: Path = RUN_DIR, env: Mapping[str, str] | None = None) -> tuple[Path, Path]:
    run_dir.mkdir(parents=True, exist_ok=True)
    endpoints = run_dir / "endpoints.yml"
    rendered = render_endpoints(ROOT / "endpoints.yml", env if env is not None else os.environ)
    endpoints.write_text(yaml.safe_dump(rendered, allow_unicode=True, sort_keys=False))
    credentials = run_dir / "credentials.yml"
    credentials.write_text("# generated by bot.rasa_process: Rasa listens to the hub only\nrest:\n")
    return endpoints, credentials


# --- the process ------------------------------------------------------------------------


Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class RasaProcess:
    """One ``rasa run`` child process on loopback."""

    model: Path
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    auth_token: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    run_dir: Path = RUN_DIR  # generated endpoints/credentials files
    log_path: Path = RUN_DIR / "rasa.log"
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    proc: asyncio.subprocess.Process | None = None
    started_at: float | None = None
    ready_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self, endpoints: Path, credentials: Path) -> list[str]:
        cmd = [
            str(rasa_executable()),
            "run",
            "--enable-api",
            "-i",
            self.host,
            "-p",
            str(self.port),
            "--model",
            str(self.model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(credentials),
        ]  # stdout/stderr go to log_path (no --log-file: every line would be written twice)
        if self.auth_token:
            cmd += ["--auth-token", self.auth_token]
        return cmd

    async def start(self, ready_timeout: float = 300.0) -> None:
        if self.proc is not None and self.proc.returncode is None:
            raise RasaSetupError("Rasa is already running")
        endpoints, credentials = write_run_files(self.run_dir, env={**os.environ, **self.extra_env})
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.started_at = self.clock()
        logger.info("starting Rasa on %s with %s", self.url, self.model.name)
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.command(endpoints, credentials),
                cwd=ROOT,
                env=rasa_env(self.extra_env),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        try:
            await self.wait_ready(ready_timeout)
        except BaseException:
            await self.stop()
            raise

    async def status(self, session: aiohttp.ClientSession) -> dict[str, Any] | None:
        params = {"token": self.auth_token} if self.auth_token else None
        try:
            async with session.get(f"{self.url}/status", params=params) as resp:
                if resp.status != 200:
                    return None
                body = await resp.json()
                return body if isinstance(body, dict) else None
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError):
            return None

    async def wait_ready(
        self, timeout: float = 300.0, interval: float = 0.5, report_every: float = 5.0
    ) -> None:
        """Poll ``/status`` until a model is loaded; raise if the process dies or time runs out."""
        start = self.clock()
        last_report = start
        timeout_cfg = aiohttp.ClientTimeout(total=3)
        async with aiohttp.ClientSession(timeout=timeout_cfg) as session:
            while True:
                if self.proc is not None and self.proc.returncode is not None:
                    raise RasaSetupError(f"Rasa exited with code {self.proc.returncode}; see {self.log_path}")
                status = await self.status(session)
                if status and status.get("model_file"):
                    await self.warm_up(session)
                    self.ready_seconds = self.clock() - (self.started_at or start)
                    logger.info(
                        "Rasa ready after %.1f s (model %s)", self.ready_seconds, status["model_file"]
                    )
                    return
                now = self.clock()
                if now - start > timeout:
                    raise RasaSetupError(f"Rasa not ready after {timeout:.0f} s; see {self.log_path}")
                if now - last_report >= report_every:
                    logger.info("waiting for Rasa to load its model... %.0f s", now - start)
                    last_report = now
                await self.sleep(interval)

    async def warm_up(self, session: aiohttp.ClientSession, timeout: float = 60.0) -> None:
        """Parse one message before calling Rasa ready.

        Rasa's first parse after loading a model builds its TensorFlow graphs (0.4 s idle, several
        seconds on a loaded machine); without this the first citizen pays for it, past the hub's
        NLU timeout. A failure here is logged, not fatal: the hub's cues cover an unreadable Rasa.
        """
        params = {"token": self.auth_token} if self.auth_token else None
        started = self.clock()
        try:
            async with session.post(
                f"{self.url}/model/parse",
                json={"text": "xin chào"},
                params=params,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                await resp.read()
                ok = resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        if ok:
            logger.info("Rasa warmed up: first parse took %.2f s", self.clock() - started)
        else:
            logger.warning("Rasa's warm-up parse failed; the first message may be slow")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    async def stop(self, grace: float = 20.0) -> int | None:
        """SIGTERM the process group, then SIGKILL after ``grace`` seconds."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return proc.returncode if proc else None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            logger.warning("Rasa did not stop within %.0f s: SIGKILL", grace)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        logger.info("Rasa stopped (exit code %s)", proc.returncode)
        return proc.returncode

    async def __aenter__(self) -> RasaProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (Linux /proc), in bytes."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


# --- CLI --------------------------------------------------------------------------------


async def _serve(port: int, force: bool) -> None:
    info = train_if_needed(force=force)
    process = RasaProcess(info.path, port=port, auth_token=os.environ.get("RASA_AUTH_TOKEN") or None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with process:
        logger.info("Rasa serving on %s (pid %s); Ctrl-C stops it", process.url, process.pid)
        waiter = asyncio.create_task(stop.wait())
        assert process.proc is not None
        died = asyncio.create_task(process.proc.wait())
        await asyncio.wait({waiter, died}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        died.cancel()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.rasa_process", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["setup", "train", "serve"])
    parser.add_argument("--force", action="store_true", help="train even if the model is up to date")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", DEFAULT_PORT)))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        ensure_venv()
        if args.command == "train":
            info = train_if_needed(force=args.force)
            print(info.path)
        elif args.command == "serve":
            asyncio.run(_serve(args.port, args.force))
    except RasaSetupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
