"""The shipped nginx site (deploy/nginx/tongdai1022.conf), rendered for loopback by
devtools/nginx_site.py, under the real nginx: `nginx -t`, then traffic through it to two
small aiohttp upstreams standing in for the web processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from devtools.net import free_port
from devtools.nginx_site import (
    MARKED,
    SITE_FILE,
    LoopbackSite,
    NginxProcess,
    marked_lines,
    nginx_test,
    prepare,
    render_site,
)
from tests.conftest import wait_for
from tests.deploy.conftest import loopback_site

ROOT = Path(__file__).resolve().parent.parent.parent
MAX_BODY = 10 * 1024 * 1024  # the site's client_max_body_size 10m


def test_the_rendered_site_passes_nginx_t(nginx_prefix: Path) -> None:
    loopback_site(nginx_prefix, [free_port(), free_port()])
    ok, output = nginx_test(nginx_prefix)
    assert ok, output
    assert "test is successful" in output


def test_nginx_t_fails_on_a_broken_site(nginx_prefix: Path) -> None:
    """nginx_test reports a failure (the test above could not pass on a broken file)."""
    site = loopback_site(nginx_prefix, [free_port()])
    broken = SITE_FILE.read_text(encoding="utf-8").replace("proxy_read_timeout 10s;", "proxy_read_timeout;")
    prepare(nginx_prefix, site, broken)
    ok, output = nginx_test(nginx_prefix)
    assert not ok and "proxy_read_timeout" in output


def test_rendering_replaces_only_the_marked_lines(tmp_path: Path) -> None:
    shipped = SITE_FILE.read_text(encoding="utf-8").splitlines()
    site = LoopbackSite(
        upstreams=[5001, 5002, 5003],
        http_port=5080,
        https_port=5443,
        certificate=tmp_path / "c.pem",
        certificate_key=tmp_path / "k.pem",
        static_root=tmp_path,
        acme_root=tmp_path / "acme",
    )
    rendered = render_site(site).splitlines()
    unmarked = [line for i, line in enumerate(shipped) if i not in dict(marked_lines("\n".join(shipped)))]
    assert [line for line in rendered if not MARKED.match(line)] == unmarked
    text = "\n".join(rendered)
    for port in (5001, 5002, 5003):
        assert f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" in text
    assert "listen 127.0.0.1:5080;" in text and "listen 127.0.0.1:5443 ssl http2;" in text
    assert "[::]" not in text and "/opt/tongdai1022" not in text and "example.gov.vn" not in text
    assert f"alias {tmp_path}/bot/static/webchat/;" in text
    with pytest.raises(ValueError, match="certificate_key"):
        render_site(site, SITE_FILE.read_text(encoding="utf-8").replace("# @site:certificate_key", ""))


@dataclass
class Upstream:
    """A stand-in web process: echoes what it was sent (headers, peer) and WebSocket frames."""

    name: str
    port: int = field(default_factory=free_port)
    runner: web.AppRunner | None = None

    async def echo(self, request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {"upstream": self.name, "headers": dict(request.headers), "size": len(body)},
            headers={"X-Upstream": self.name},
        )

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"upstream": self.name, "xff": request.headers.get("X-Forwarded-For")})
        async for msg in ws:
            await ws.send_str("echo:" + msg.data)
        return ws

    async def start(self) -> None:
        app = web.Application(client_max_size=2 * MAX_BODY)
        app.router.add_get("/webchat/ws", self.socket)
        app.router.add_get("/console/ws", self.socket)
        app.router.add_route("*", "/{tail:.*}", self.echo)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@dataclass
class Front:
    site: LoopbackSite
    upstreams: list[Upstream]
    http: aiohttp.ClientSession

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.site.https_port}"


@pytest.fixture
async def front(nginx_prefix: Path) -> AsyncIterator[Front]:
    upstreams = [Upstream("web1"), Upstream("web2")]
    for upstream in upstreams:
        await upstream.start()
    site = loopback_site(nginx_prefix, [u.port for u in upstreams])
    nginx = NginxProcess(nginx_prefix, site)
    await asyncio.to_thread(nginx.start)
    connector = aiohttp.TCPConnector(ssl=False)  # the throw-away self-signed certificate
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            yield Front(site, upstreams, http)
    finally:
        await asyncio.to_thread(nginx.stop)
        for upstream in upstreams:
            await upstream.stop()


async def test_http_redirects_to_https(front: Front) -> None:
    url = f"http://127.0.0.1:{front.site.http_port}/webchat/?a=1"
    async with front.http.get(url, allow_redirects=False) as r:
        assert r.status == 301
        assert r.headers["Location"] == "https://127.0.0.1/webchat/?a=1"  # $host: as asked for


async def test_proxied_requests_carry_the_client_address_and_scheme(front: Front) -> None:
    seen = set()
    for _ in range(4):
        async with front.http.post(front.https + "/webhooks/zalo", data=b"{}") as r:
            assert r.status == 200 and r.headers["Strict-Transport-Security"] == "max-age=31536000"
            got = await r.json()
        headers = got["headers"]
        assert headers["X-Forwarded-For"] == "127.0.0.1"
        assert headers["X-Real-IP"] == "127.0.0.1"
        assert headers["X-Forwarded-Proto"] == "https"
        assert headers["Host"] == f"127.0.0.1:{front.site.https_port}" or headers["Host"] == "127.0.0.1"
        seen.add(got["upstream"])
    assert seen == {"web1", "web2"}  # round robin over both web processes
    # an address the client claims is kept in front of the one nginx saw (the hub reads
    # the last hop a trusted proxy appended: bot.console.core.client_ip)
    async with front.http.get(front.https + "/healthz", headers={"X-Forwarded-For": "203.0.113.9"}) as r:
        assert (await r.json())["headers"]["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"


@pytest.mark.parametrize("path", ["/webchat/ws", "/console/ws"])
async def test_websocket_upgrade_passes_through(front: Front, path: str) -> None:
    async with front.http.ws_connect(front.https.replace("https", "wss") + path) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["upstream"] in {"web1", "web2"} and hello["xff"] == "127.0.0.1"
        await ws.send_str("xin chào")
        assert await ws.receive_str(timeout=5) == "echo:xin chào"


async def test_a_dead_web_process_is_routed_around(front: Front) -> None:
    await front.upstreams[0].stop()  # connection refused from now on
    for _ in range(6):
        async with front.http.post(front.https + "/webhooks/facebook", data=b'{"entry": []}') as r:
            assert r.status == 200
            assert (await r.json())["upstream"] == "web2"


async def test_body_limit_matches_the_hub(front: Front) -> None:
    async with front.http.post(front.https + "/console/api/upload", data=b"x" * MAX_BODY) as r:
        assert r.status == 200 and (await r.json())["size"] == MAX_BODY
    async with front.http.post(front.https + "/console/api/upload", data=b"x" * (MAX_BODY + 1)) as r:
        assert r.status == 413 and "X-Upstream" not in r.headers


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("/webchat/static/chat.js", "bot/static/webchat/chat.js"),
        ("/webchat/static/chat.css?v=abc", "bot/static/webchat/chat.css"),
        ("/console/static/console.js", "bot/console/static/console.js"),
        ("/console/static/console.css", "bot/console/static/console.css"),
    ],
)
async def test_static_files_are_served_by_nginx(front: Front, path: str, file: str) -> None:
    async with front.http.get(front.https + path) as r:
        assert r.status == 200 and "X-Upstream" not in r.headers
        assert await r.read() == (ROOT / file).read_bytes()
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_closed_and_hub_served_paths(front: Front) -> None:
    async with front.http.post(front.https + "/rasa/actions", json={}) as r:
        assert r.status == 404 and "X-Upstream" not in r.headers  # never reaches a hub
    async with front.http.get(front.https + "/console/static/app.html") as r:
        assert r.headers.get("X-Upstream") in {"web1", "web2"}  # only scripts and styles are static


@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_nginx_stops_with_a_socket_open_and_frees_its_ports(nginx_prefix: Path, how: str) -> None:
    """A graceful stop closes a still-open WebSocket within worker_shutdown_timeout (5 s); a
    kill takes the workers with the master: nothing keeps listening on the site's ports."""
    upstream = Upstream("web1")
    await upstream.start()
    site = loopback_site(nginx_prefix, [upstream.port])
    nginx = NginxProcess(nginx_prefix, site)
    await asyncio.to_thread(nginx.start)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http:
            url = f"wss://127.0.0.1:{site.https_port}/webchat/ws"
            async with http.ws_connect(url) as ws:
                await ws.receive_json(timeout=5)
                started = asyncio.get_running_loop().time()
                await asyncio.to_thread(nginx.stop if how == "stop" else nginx.kill)
                assert asyncio.get_running_loop().time() - started < 9
                # SIGKILL reaches the whole group at once, but a killed worker's listening
                # sockets close as the kernel tears it down, which can end after the master
                # is reaped (seen once in CI): the ports must be free within 5 s
                await wait_for(lambda: asyncio.to_thread(lambda: not nginx.listening()), timeout=5)
    finally:
        await asyncio.to_thread(nginx.stop)
        await upstream.stop()
