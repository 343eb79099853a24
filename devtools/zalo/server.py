"""The Zalo OA simulator as a server: its routes, start and close, and the demo controls
(``/_sim/...``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from devtools.zalo.articles import ArticleApi
from devtools.zalo.state import Fault

# what POST /_sim/oa may set, and the type of each
OA_SETTINGS: dict[str, type] = {
    "feature_quota_spent": bool,
    "package_too_low": bool,
    "promotion_monthly_quota": int,
    "promotion_daily_per_user": int,
    "promotion_daily_limit": int,
    "utc_offset_hours": float,
    "article_review_delay": float,
}


class ZaloSimulator(ArticleApi):
    """A faithful Zalo OA on loopback (see :mod:`devtools.zalo`)."""

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/v2.0/oa/upload/file", self._upload_file)
        app.router.add_get("/v3.0/oa/user/detail", self._user_detail)
        app.router.add_post("/v4/oa/access_token", self._oauth)
        app.router.add_post("/v3.0/oa/message/promotion", self._promotion)
        app.router.add_post("/v3.0/oa/quota/message", self._quota)
        app.router.add_get("/v3.0/oa/user/getlist", self._getlist)
        app.router.add_post("/v2.0/article/create", self._article_create)
        app.router.add_post("/v2.0/article/verify", self._article_verify)
        app.router.add_post("/v2.0/oa/message", self._broadcast)
        app.router.add_post("/_sim/say", self._ctl_say)
        app.router.add_post("/_sim/console", self._ctl_console)
        app.router.add_post("/_sim/tap", self._ctl_tap)
        app.router.add_get("/_sim/sent", self._ctl_sent)
        app.router.add_post("/_sim/faults", self._ctl_faults)
        app.router.add_post("/_sim/followers", self._ctl_followers)
        app.router.add_post("/_sim/oa", self._ctl_oa)
        app.router.add_get("/_sim/promotions", self._ctl_promotions)
        app.router.add_get("/_sim/broadcasts", self._ctl_broadcasts)
        return app

    async def start(self) -> ZaloSimulator:
        self._runner = web.AppRunner(self.app(), shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        self._closing.set()
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> ZaloSimulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- demo controls

    async def _ctl_say(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = str(body.get("user_id") or next(iter(self.users), "") or self.add_user().user_id)
        if user_id not in self.users:
            self.add_user(str(body.get("display_name") or "Công dân thử nghiệm"), user_id=user_id)
        event = self.user_text(user_id, str(body.get("text", "Xin chào")))
        if not self.webhook_url:
            return web.json_response({"error": "simulator started without --webhook"}, status=400)
        delivery = await self.deliver(self.webhook_url, event)
        return web.json_response({"event": event, "hub_status": delivery.status})

    async def _ctl_console(self, request: web.Request) -> web.Response:
        body = await request.json()
        message_id = await self.console_send(str(body["user_id"]), str(body.get("text", "")))
        return web.json_response({"msg_id": message_id})

    async def _ctl_tap(self, request: web.Request) -> web.Response:
        body = await request.json()
        which = body.get("button", 0)
        try:
            delivery = await self.tap(str(body["user_id"]), which if isinstance(which, int | str) else 0)
        except (KeyError, LookupError, IndexError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response({"hub_status": delivery.status})

    async def _ctl_sent(self, request: web.Request) -> web.Response:
        return web.json_response(
            [{"message_id": s.message_id, "user_id": s.user_id, "message": s.message} for s in self.sent]
        )

    async def _ctl_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if isinstance(body, dict) and body.get("expire_token"):
            self.expire_access_token()
        else:
            self.script(*(Fault(**item) for item in (body if isinstance(body, list) else [body])))
        return web.json_response({"pending": self.pending_faults()})

    # ----------------------------------------------------------------- announcement controls

    async def _ctl_followers(self, request: web.Request) -> web.Response:
        body = await request.json()
        count = body.get("count", 1) if isinstance(body, dict) else 1
        restricted = bool(body.get("restricted_promotions")) if isinstance(body, dict) else False
        if not isinstance(count, int) or not 0 < count <= 100_000:
            return web.json_response({"error": "count must be 1..100000"}, status=400)
        users = self.add_followers(count, restricted_promotions=restricted)
        return web.json_response({"user_ids": [u.user_id for u in users], "followers": len(self.followers())})

    def _oa_state(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in OA_SETTINGS}

    async def _ctl_oa(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict) or not set(body) <= set(OA_SETTINGS):
            return web.json_response({"error": f"keys: {sorted(OA_SETTINGS)}"}, status=400)
        for key, value in body.items():
            kind = OA_SETTINGS[key]
            if value is None and key == "promotion_daily_limit":
                self.promotion_daily_limit = None
            elif isinstance(value, bool) != (kind is bool) or not isinstance(value, int | float):
                return web.json_response({"error": f"{key} must be {kind.__name__}"}, status=400)
            else:
                setattr(self, key, kind(value))
        return web.json_response(self._oa_state())

    async def _ctl_promotions(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {"message_id": p.message_id, "user_id": p.user_id, "text": p.text, "at": p.at}
                for p in self.promotions
            ]
        )

    async def _ctl_broadcasts(self, request: web.Request) -> web.Response:
        articles = [
            {"token": a.token, "title": a.title, "id": a.article_id, "created_at": a.created_at}
            for a in self.articles.values()
        ]
        sent = [
            {"message_id": b.message_id, "target": b.target, "article_ids": b.article_ids, "at": b.at}
            for b in self.article_broadcasts
        ]
        return web.json_response({"articles": articles, "broadcasts": sent})
