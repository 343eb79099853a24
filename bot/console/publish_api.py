"""Publishing a ticket's answer on the public portal (Điều 12), from the ticket page.

| method | path | who | what |
|---|---|---|---|
| GET | ``/api/tickets/{id}/publication`` | as the ticket | ``{no_publish, can_publish, reason, published}`` |
| GET | ``/api/tickets/{id}/publication/preview`` | publisher | the masked question and answer to review |
| POST | ``/api/tickets/{id}/publish {question, answer}`` | publisher | publish (or update) |
| POST | ``/api/tickets/{id}/withdraw`` | publisher | take it down |
| POST | ``/api/tickets/{id}/no_publish {no_publish}`` | as the ticket | the citizen's wish |

Publisher: the ticket's agency officer, the supervisor, the admin (``handoff.publication``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.core import actor, audit_action, json_body, require, str_field
from bot.console.ticket_list import iso
from bot.hub import hub_of
from handoff import publication
from handoff.publication import MAX_TEXT
from handoff.workflow import WorkflowError
from storage.models_public import PublishedAnswer


def published_dict(entry: PublishedAnswer | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "id": entry.id,
        "url": f"/hoi-dap/{entry.id}",
        "question": entry.question,
        "answer": entry.answer,
        "domain": entry.domain,
        "agency": entry.agency,
        "published_at": iso(entry.published_at),
        "withdrawn_at": iso(entry.withdrawn_at),
        "public": entry.withdrawn_at is None,
    }


def _ticket_id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def publication_state(request: web.Request) -> web.Response:
    user = require(request)
    hub = hub_of(request)
    async with hub.sm() as s:
        st = await publication.state(s, _ticket_id(request), actor(user))
    return web.json_response(
        {
            "no_publish": st.no_publish,
            "can_publish": st.can_publish,
            "reason": st.reason,
            "published": published_dict(st.published),
        }
    )


async def preview(request: web.Request) -> web.Response:
    user = require(request)
    hub = hub_of(request)
    async with hub.sm() as s:
        p = await publication.preview(s, _ticket_id(request), actor(user))
    return web.json_response(
        {
            "question": p.question,
            "answer": p.answer,
            "domain": p.domain,
            "agency": p.agency,
            "asked_at": iso(p.asked_at),
            "answered_at": iso(p.answered_at),
        }
    )


async def publish(request: web.Request) -> web.Response:
    user = require(request)
    hub = hub_of(request)
    ticket_id = _ticket_id(request)
    body = await json_body(request)
    question = str_field(body, "question", max_len=MAX_TEXT)
    answer = str_field(body, "answer", max_len=MAX_TEXT)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        entry = await publication.publish(s, ticket_id, actor(user), now, question, answer)
        audit_action(
            s, request, user, "publish_answer", "ticket", ticket_id, now, detail={"answer_id": entry.id}
        )
        shown = published_dict(entry)
    return web.json_response({"ok": True, "published": shown})


async def withdraw(request: web.Request) -> web.Response:
    user = require(request)
    hub = hub_of(request)
    ticket_id = _ticket_id(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        entry = await publication.withdraw(s, ticket_id, actor(user), now)
        audit_action(
            s, request, user, "withdraw_answer", "ticket", ticket_id, now, detail={"answer_id": entry.id}
        )
        shown = published_dict(entry)
    return web.json_response({"ok": True, "published": shown})


async def no_publish(request: web.Request) -> web.Response:
    user = require(request)
    hub = hub_of(request)
    ticket_id = _ticket_id(request)
    body = await json_body(request)
    wish = body.get("no_publish")
    if not isinstance(wish, bool):
        raise WorkflowError("Trường no_publish phải là true hoặc false", 400)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        track = await publication.set_no_publish(s, ticket_id, actor(user), now, wish)
        audit_action(
            s, request, user, "set_no_publish", "ticket", ticket_id, now, detail={"no_publish": wish}
        )
        st = await publication.state(s, ticket_id, actor(user))
        result = {"ok": True, "no_publish": bool(track.no_publish), "published": published_dict(st.published)}
    return web.json_response(result)


def setup(r: web.UrlDispatcher, api: str, id_pattern: str) -> None:
    """The routes, under the console's ``api`` prefix."""
    base = f"{api}/tickets/{id_pattern}"
    r.add_get(f"{base}/publication", publication_state)
    r.add_get(f"{base}/publication/preview", preview)
    r.add_post(f"{base}/publish", publish)
    r.add_post(f"{base}/withdraw", withdraw)
    r.add_post(f"{base}/no_publish", no_publish)
