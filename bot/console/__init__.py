"""The operator console (web, Vietnamese) and its JSON API under ``/console``.

An aiohttp sub-application (:func:`create_console_app`, its paths relative to ``/console``)
with its own middleware (``bot.console.core.console_middleware``: session, CSRF, security
headers), mounted by ``bot.routes.setup``; its state (:func:`console_state`) is kept on the
hub's application. Pages: ``/console/login``, ``/console/``, ``/console/faq``.
API: see ``docs/console.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

from aiohttp import web

from bot import faq_admin
from bot.auth import prelogin
from bot.console import (
    account_api,
    admin_api,
    audit_view,
    auth_routes,
    breaches_api,
    campaigns_api,
    contact_data_api,
    contacts_api,
    conversations,
    exports,
    faq_learning_api,
    integrations_api,
    legal_holds_api,
    live,
    presence,
    privacy_api,
    publish_api,
    records_api,
    tickets_api,
    users_api,
    webhooks_admin,
)
from bot.console.core import ConsoleState, console_middleware
from bot.hub import Hub
from bot.roles import runs_workers
from handoff.calendar import configured_calendar
from handoff.deadlines import urgent_answer_within
from handoff.seed import load_seed, seed
from handoff.tickets import ticket_prefix
from storage.session import SEED_LOCK, one_at_a_time

# at most 18 digits: every id fits a 64-bit column (a longer one is a 404, never a 500)
ID = r"{id:\d{1,18}}"
FILE_ID = r"{file_id:\d{1,18}}"
DEADLINE_TASK = web.AppKey("console_deadline_task", asyncio.Task[None])


def console_state(hub: Hub) -> ConsoleState:
    """The console's settings; its signing key is loaded when the application starts."""
    env = hub.settings.env
    urgent_answer_within(env)  # HUB_URGENT_DEADLINE_HOURS: a wrong value stops the start, not a forward
    return ConsoleState(
        calendar=configured_calendar(env),
        prefix=ticket_prefix(env),
        media_dir=hub.settings.media_dir,
        secure_cookies=hub.settings.secure_cookies,
        deadline_interval=float(env.get("HUB_DEADLINE_CHECK_SECONDS") or 60.0),
        trusted_proxies=frozenset(
            p.strip() for p in (env.get("HUB_TRUSTED_PROXIES") or "").split(",") if p.strip()
        ),
    )


def create_console_app(hub: Hub, state: ConsoleState) -> web.Application:
    """The console's application, to mount at ``/console`` (with ``state`` on the hub's
    application, under ``bot.console.core.CONSOLE``)."""
    console = web.Application(middlewares=[console_middleware])
    r = console.router
    r.add_get("", _to_console)  # /console itself
    r.add_get("/", auth_routes.app_page)
    r.add_get("/login", auth_routes.login_page)
    r.add_get("/static/{name}", auth_routes.static_file)
    r.add_get("/ws", live.websocket)
    api = "/api"
    r.add_get(f"{api}/csrf", auth_routes.csrf)
    r.add_post(f"{api}/login", auth_routes.login)
    r.add_post(f"{api}/logout", auth_routes.logout)
    r.add_get(f"{api}/me", auth_routes.me)
    r.add_get(f"{api}/queue", conversations.queue)
    r.add_get(f"{api}/conversations/{ID}", conversations.conversation)
    r.add_post(f"{api}/conversations/{ID}/take", conversations.take)
    r.add_post(f"{api}/conversations/{ID}/reply", conversations.reply)
    r.add_post(f"{api}/conversations/{ID}/note", conversations.note)
    r.add_post(f"{api}/conversations/{ID}/release", conversations.release)
    r.add_post(f"{api}/conversations/{ID}/close", conversations.close)
    r.add_post(f"{api}/conversations/{ID}/typing", presence.typing)
    r.add_post(f"{api}/conversations/{ID}/tickets", tickets_api.create_from_conversation)
    r.add_post(f"{api}/conversations/{ID}/faq-reply", faq_learning_api.faq_reply)
    r.add_post(f"{api}/messages/{ID}/wrong", faq_learning_api.mark_wrong)
    r.add_get(f"{api}/faq/proposals", faq_learning_api.list_proposals)
    r.add_post(f"{api}/faq/proposals/accept", faq_learning_api.accept_proposal)
    r.add_post(f"{api}/faq/proposals/reject", faq_learning_api.reject_proposal)
    r.add_get(f"{api}/contacts", conversations.contacts_search)
    r.add_post(f"{api}/contacts/merge", conversations.merge_contacts)
    r.add_post(f"{api}/contacts/{ID}", contacts_api.edit_contact)
    r.add_get(f"{api}/tickets", tickets_api.list_tickets)
    r.add_get(f"{api}/tickets/unclear", tickets_api.supervisor_queue)
    r.add_get(f"{api}/tickets/export.csv", exports.export_csv)
    r.add_get(f"{api}/tickets/{ID}", tickets_api.get_ticket)
    r.add_get(f"{api}/tickets/{ID}/files/{FILE_ID}", tickets_api.download_file)
    publish_api.setup(r, api, ID)  # publishing the answer (Điều 12)
    for action in tickets_api.ACTIONS:
        r.add_post(f"{api}/tickets/{ID}/{action}", tickets_api._transition(action))
    r.add_post(f"{api}/calls", tickets_api.log_call)
    r.add_get(f"{api}/agencies", admin_api.agencies)
    r.add_post(f"{api}/agencies", admin_api.save_agency)
    r.add_get(f"{api}/domains", admin_api.domains)
    r.add_post(f"{api}/domains", admin_api.save_domain)
    r.add_get(f"{api}/canned", admin_api.canned)
    r.add_get(f"{api}/faq", admin_api.faq_search)
    r.add_post(f"{api}/canned", admin_api.save_canned)
    r.add_get(f"{api}/users", users_api.users)
    r.add_post(f"{api}/users", users_api.create_user)
    r.add_post(f"{api}/users/{ID}", users_api.edit_user)
    r.add_post(f"{api}/users/{ID}/active", users_api.set_user_active)
    r.add_post(f"{api}/users/{ID}/password", users_api.reset_password)
    r.add_post(f"{api}/me/password", admin_api.change_own_password)
    r.add_get(f"{api}/me/notices", account_api.my_notices)
    r.add_post(f"{api}/me/notices", account_api.save_my_notices)
    r.add_get(f"{api}/audit", audit_view.audit_log)
    r.add_get(f"{api}/labels", audit_view.labels)
    r.add_get(f"{api}/notifications", admin_api.notifications)
    r.add_post(f"{api}/notifications/read", admin_api.mark_notifications_read)
    r.add_get(f"{api}/report", exports.report)
    faq_admin.setup(console)
    records_api.setup(console, hub, state)  # records (Điều 11.1), reports, the monthly mail
    campaigns_api.setup(console, hub)  # Zalo announcements to followers (issue 17)
    integrations_api.setup(console, hub)  # API tokens (issue 17)
    webhooks_admin.setup(console, hub)  # outbound webhooks and their delivery log (issue 17)
    privacy_api.setup(console, hub)  # data requests, a contact's export and access log (issue 18)
    breaches_api.setup(console, hub)  # the breach register (issue 18)
    contact_data_api.setup(console, hub)  # a contact's export and access log (issue 18)
    legal_holds_api.setup(console, hub)  # legal holds that retention never touches (issue 18)
    # A sub-application's signals run as handlers of the hub's, appended when it is mounted:
    # on_startup after every cleanup_ctx start of the hub's (the migrations included), and
    # on_shutdown before its cleanup_ctx closes the database and the bus (a cleanup_ctx of
    # the console's would end after those).
    console.on_startup.append(partial(_startup, hub, state))
    console.on_shutdown.append(_cleanup)
    return console


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console/")


async def _startup(hub: Hub, state: ConsoleState, app: web.Application) -> None:
    state.signing_key = await prelogin.load_key(hub.sm, hub.clock.now())
    async with hub.sm() as s, s.begin():
        await one_at_a_time(s, SEED_LOCK)  # processes starting together on an empty database
        await seed(s, load_seed(hub.settings.env), hub.clock.now())
    if runs_workers(hub.role):  # the deadline checker is a worker's job (bot.roles)
        app[DEADLINE_TASK] = asyncio.create_task(live.deadline_worker(hub, state), name="console-deadlines")


async def _cleanup(app: web.Application) -> None:
    task = app.get(DEADLINE_TASK)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
