"""nginx in front of the web processes of the production fault run: the shipped site
(``deploy/nginx/tongdai1022.conf``) rendered for loopback by ``devtools/nginx_site.py``
(HTTPS with a throw-away self-signed certificate, the web processes as its upstream),
checked with ``nginx -t`` before it starts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from devtools.net import free_port
from devtools.nginx_site import LoopbackSite, NginxProcess, nginx_test, prepare, self_signed_cert


class Nginx:
    """The shipped site on https://127.0.0.1:PORT, upstream = the web processes' ``ports``."""

    source = "deploy/nginx/tongdai1022.conf via devtools/nginx_site.py"

    def __init__(self, workdir: Path, ports: list[int]) -> None:
        self.prefix = workdir / "nginx"
        self.ports = ports
        self.port = free_port()
        self.process: NginxProcess | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def start(self) -> None:
        await asyncio.to_thread(self._start)

    def _start(self) -> None:
        cert, key = self_signed_cert(self.prefix / "tls")
        site = LoopbackSite(upstreams=self.ports, http_port=free_port(), https_port=self.port,
                            certificate=cert, certificate_key=key)  # fmt: skip
        prepare(self.prefix, site)
        ok, output = nginx_test(self.prefix)
        if not ok:
            raise RuntimeError(f"nginx -t failed:\n{output}")
        self.process = NginxProcess(self.prefix, site)
        self.process.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(grace=5.0)
