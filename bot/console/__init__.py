"""The operator console (web, Vietnamese) and its JSON API under ``/console``.

Mounted by ``bot.routes.setup`` with :func:`setup`. Pages: ``/console/login``, ``/console/``.
API: see ``docs/console.md``.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from bot.app import HUB
from bot.console import admin_api, auth_routes, conversations, live, tickets_api
from bot.console.core import CONSOLE, ConsoleState, console_middleware
from handoff.calendar import configured_calendar
from handoff.seed import load_seed, seed
from handoff.tickets import ticket_prefix

DEADLINE_TASK = web.AppKey("console_deadline_task", asyncio.Task[None])


def setup(app: web.Application) -> None:
    hub = app[HUB]
    env = hub.settings.env
    app[CONSOLE] = ConsoleState(
        calendar=configured_calendar(env),
        prefix=ticket_prefix(env),
        media_dir=hub.settings.media_dir,
        secure_cookies=hub.settings.secure_cookies,
        deadline_interval=float(env.get("HUB_DEADLINE_CHECK_SECONDS") or 60.0),
        trusted_proxies=frozenset(
            p.strip() for p in (env.get("HUB_TRUSTED_PROXIES") or "").split(",") if p.strip()
        ),
    )
    app.middlewares.append(console_middleware)
    r = app.router
    r.add_get("/console", _to_console)
    r.add_get("/console/", auth_routes.app_page)
    r.add_get("/console/login", auth_routes.login_page)
    r.add_get("/console/static/{name}", auth_routes.static_file)
    r.add_get("/console/ws", live.websocket)
    api = "/console/api"
    r.add_get(f"{api}/csrf", auth_routes.csrf)
    r.add_post(f"{api}/login", auth_routes.login)
    r.add_post(f"{api}/logout", auth_routes.logout)
    r.add_get(f"{api}/me", auth_routes.me)
    r.add_get(f"{api}/queue", conversations.queue)
    r.add_get(f"{api}/conversations/{{id:\\d+}}", conversations.conversation)
    r.add_post(f"{api}/conversations/{{id:\\d+}}/take", conversations.take)
    r.add_post(f"{api}/conversations/{{id:\\d+}}/reply", conversations.reply)
    r.add_post(f"{api}/conversations/{{id:\\d+}}/note", conversations.note)
    r.add_post(f"{api}/conversations/{{id:\\d+}}/release", conversations.release)
    r.add_post(f"{api}/conversations/{{id:\\d+}}/close", conversations.close)
    r.add_post(f"{api}/conversations/{{id:\\d+}}/tickets", tickets_api.create_from_conversation)
    r.add_get(f"{api}/contacts", conversations.contacts_search)
    r.add_post(f"{api}/contacts/merge", conversations.merge_contacts)
    r.add_get(f"{api}/tickets", tickets_api.list_tickets)
    r.add_get(f"{api}/tickets/unclear", tickets_api.supervisor_queue)
    r.add_get(f"{api}/tickets/export.csv", tickets_api.export_csv)
    r.add_get(f"{api}/tickets/{{id:\\d+}}", tickets_api.get_ticket)
    r.add_get(f"{api}/tickets/{{id:\\d+}}/files/{{file_id:\\d+}}", tickets_api.download_file)
    for action in tickets_api.ACTIONS:
        r.add_post(f"{api}/tickets/{{id:\\d+}}/{action}", tickets_api._transition(action))
    r.add_post(f"{api}/calls", tickets_api.log_call)
    r.add_get(f"{api}/agencies", admin_api.agencies)
    r.add_post(f"{api}/agencies", admin_api.save_agency)
    r.add_get(f"{api}/domains", admin_api.domains)
    r.add_post(f"{api}/domains", admin_api.save_domain)
    r.add_get(f"{api}/canned", admin_api.canned)
    r.add_get(f"{api}/faq", admin_api.faq_search)
    r.add_post(f"{api}/canned", admin_api.save_canned)
    r.add_get(f"{api}/users", admin_api.users)
    r.add_post(f"{api}/users", admin_api.create_user)
    r.add_post(f"{api}/users/{{id:\\d+}}/active", admin_api.set_user_active)
    r.add_post(f"{api}/users/{{id:\\d+}}/password", admin_api.reset_password)
    r.add_post(f"{api}/me/password", admin_api.change_own_password)
    r.add_get(f"{api}/audit", admin_api.audit_log)
    r.add_get(f"{api}/notifications", admin_api.notifications)
    r.add_post(f"{api}/notifications/read", admin_api.mark_notifications_read)
    r.add_get(f"{api}/report", admin_api.report)
    # on_startup runs after every cleanup_ctx start (the migrations included)
    app.on_startup.append(_startup)
    app.on_shutdown.append(_cleanup)


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console/")


async def _startup(app: web.Application) -> None:
    hub = app[HUB]
    async with hub.sm() as s, s.begin():
        await seed(s, load_seed(hub.settings.env), hub.clock.now())
    app[DEADLINE_TASK] = asyncio.create_task(live.deadline_worker(app), name="console-deadlines")


async def _cleanup(app: web.Application) -> None:
    task = app.get(DEADLINE_TASK)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
