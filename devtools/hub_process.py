"""The hub as a child process (``python -m bot serve``) on a free loopback port, for tests
and benchmarks that need a real process to kill or restart."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from devtools.net import free_port

ROOT = Path(__file__).resolve().parent.parent
WORKER_READY = "đang chạy"  # what bot.serve.run_worker logs once started


class HubProcess:
    """``python -m bot serve`` as a child process on a free loopback port."""

    def __init__(
        self, env: dict[str, str], log_path: Path, args: Sequence[str] = (), port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.env = {**os.environ, **env, "HUB_HOST": "127.0.0.1", "HUB_PORT": str(self.port)}
        self.log_path = log_path
        self.args = list(args)  # e.g. ["--role", "worker"] or ["--role", "web", "--workers", "2"]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def listens(self) -> bool:
        """A worker (``--role worker``) opens no port: it is ready when its log says so."""
        return not ("--role" in self.args and self.args[self.args.index("--role") + 1] == "worker")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> HubProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"hub exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}"
                )
            if self._ready():
                return self
            time.sleep(0.1)
        raise TimeoutError(f"hub did not listen within {timeout}s:\n{self.log_path.read_text()[-3000:]}")

    def _ready(self) -> bool:
        if not self.listens:
            return WORKER_READY in self.log_path.read_text(encoding="utf-8", errors="replace")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: no cleanup, no graceful shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
