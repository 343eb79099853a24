"""The console's campaigns (Thông báo): compose, audience, approval, report (issue 17).

JSON under ``/console/api/campaigns`` (docs/campaigns.md lists the routes and bodies) for the
supervisor, the admin and the communications officer; every state change is audit-logged in
its transaction. The domain is ``campaigns``; this module only wires HTTP to it."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.campaign_worker import broadcasters
from bot.console.core import audit_action, error, json_body, require
from bot.hub import hub_of
from campaigns import audience, districts, followers, report, rules, settings, states, tags
from campaigns.errors import CampaignError
from storage.clock import as_utc
from storage.models import Contact
from storage.models_campaigns import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from storage.models_console import Role, User

if TYPE_CHECKING:
    from bot.hub import Hub

ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.COMMUNICATIONS)
ADMINS = (Role.SUPERVISOR, Role.ADMIN)
ID = r"{id:\d{1,18}}"
PAGE_MAX = 200
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _guard(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except CampaignError as err:
            return error(err.status, err.message)

    return run


def _cfg(request: web.Request) -> settings.CampaignSettings:
    return settings.load(hub_of(request).settings.env)


def _districts(cfg: settings.CampaignSettings) -> tuple[districts.District, ...]:
    try:
        return districts.load(cfg.districts_file)
    except districts.DistrictListError as err:
        raise CampaignError(str(err), 500) from err


def _iso(value: datetime | None) -> str | None:
    when = as_utc(value)
    return when.isoformat() if when else None


def campaign_dict(c: Campaign, user: User) -> dict[str, Any]:
    st = CampaignStatus(c.status)
    return {
        **{k: getattr(c, k) for k in ("id", "channel", "kind", "title", "text", "image_url", "link_url")},
        **{
            k: getattr(c, k)
            for k in ("link_title", "article", "target", "audience", "status", "reject_reason")
        },
        **{k: getattr(c, k) for k in ("halt_reason", "halt_message", "vendor_ref", "created_by_id")},
        **{k: getattr(c, k) for k in ("submitted_by_id", "decided_by_id")},
        **{k: _iso(getattr(c, k)) for k in ("scheduled_at", "decided_at", "started_at", "finished_at")},
        **{k: _iso(getattr(c, k)) for k in ("created_at", "updated_at")},
        "status_label": states.LABELS[st],
        "can_approve": st == CampaignStatus.SUBMITTED and user.id not in (c.created_by_id, c.submitted_by_id),
    }


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def _change(
    request: web.Request, action: str, fn: Callable[[AsyncSession, User, datetime], Awaitable[Campaign]]
) -> web.Response:
    """One state change with its audit row, in one transaction."""
    user = require(request, *ROLES)
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        c = await fn(s, user, now)
        await s.flush()
        audit_action(s, request, user, action, "campaign", c.id, now, detail={"status": c.status})
        body = campaign_dict(c, user)
    return web.json_response({"ok": True, "campaign": body})


async def _input(request: web.Request, body: dict[str, Any]) -> rules.CampaignInput:
    cfg = _cfg(request)
    channels = sorted(broadcasters(hub_of(request)))
    return rules.validate(body, channels, _districts(cfg), cfg.timezone)


@_guard
async def list_campaigns(request: web.Request) -> web.Response:
    user = require(request, *ROLES)
    hub = hub_of(request)
    status = request.query.get("status") or None
    if status is not None and status not in {s.value for s in CampaignStatus}:
        raise CampaignError("Trạng thái lọc không hợp lệ")
    query = select(Campaign).order_by(Campaign.id.desc()).limit(PAGE_MAX)
    async with hub.sm() as s:
        rows = (await s.execute(query.where(Campaign.status == status) if status else query)).scalars()
        items = [campaign_dict(c, user) for c in rows]
    return web.json_response({"campaigns": items})


@_guard
async def options(request: web.Request) -> web.Response:
    require(request, *ROLES)
    cfg = _cfg(request)
    return web.json_response(
        {
            "channels": sorted(broadcasters(hub_of(request))),
            "districts": [d.name for d in _districts(cfg)],
            "hours": {
                "start": cfg.start.strftime("%H:%M"),
                "end": cfg.end.strftime("%H:%M"),
                "timezone": str(cfg.timezone),
            },
            "kinds": rules.KINDS,
            "limits": rules.LIMITS,
            "target_keys": list(rules.TARGET_KEYS),
            "status_labels": {k.value: v for k, v in states.LABELS.items()},
            "reason_labels": report.REASONS,
        }
    )


@_guard
async def create(request: web.Request) -> web.Response:
    data = await _input(request, await json_body(request))

    async def make(s: AsyncSession, user: User, now: datetime) -> Campaign:
        return states.create(s, data, user.id, now)

    return await _change(request, "campaign_create", make)


@_guard
async def get_one(request: web.Request) -> web.Response:
    user = require(request, *ROLES)
    async with hub_of(request).sm() as s:
        c = await states.load(s, _id(request))
        body = {"campaign": campaign_dict(c, user), "counts": await report.counts(s, c.id)}
    return web.json_response(body)


@_guard
async def edit(request: web.Request) -> web.Response:
    data = await _input(request, await json_body(request))
    return await _change(
        request, "campaign_edit", lambda s, u, now: states.edit(s, _id(request), data, u.id, now)
    )


@_guard
async def submit(request: web.Request) -> web.Response:
    return await _change(
        request, "campaign_submit", lambda s, u, now: states.submit(s, _id(request), u.id, now)
    )


@_guard
async def approve(request: web.Request) -> web.Response:
    return await _change(
        request, "campaign_approve", lambda s, u, now: states.approve(s, _id(request), u.id, now)
    )


@_guard
async def reject(request: web.Request) -> web.Response:
    reason = (await json_body(request)).get("reason")
    text = reason if isinstance(reason, str) else ""
    return await _change(
        request, "campaign_reject", lambda s, u, now: states.reject(s, _id(request), u.id, text, now)
    )


@_guard
async def cancel(request: web.Request) -> web.Response:
    return await _change(request, "campaign_cancel", lambda s, u, now: states.cancel(s, _id(request), now))


@_guard
async def resume(request: web.Request) -> web.Response:
    return await _change(
        request, "campaign_resume", lambda s, u, now: states.resume(s, _id(request), u.id, now)
    )


@_guard
async def preview(request: web.Request) -> web.Response:
    require(request, *ROLES)
    body = await json_body(request)
    hub = hub_of(request)
    cfg = _cfg(request)
    found = _districts(cfg)
    channel = body.get("channel")
    if channel not in broadcasters(hub):
        raise CampaignError("Chọn một kênh gửi được thông báo")
    wanted = rules.audience(body.get("audience"), found)
    async with hub.sm() as s:
        got = await audience.preview(s, str(channel), wanted, hub.clock.now(), found)
    return web.json_response({"total": got.total, "eligible": got.eligible, "skipped": got.skipped})


@_guard
async def recipients(request: web.Request) -> web.Response:
    require(request, *ROLES)
    status = request.query.get("status") or None
    if status is not None and status not in {s.value for s in RecipientStatus}:
        raise CampaignError("Trạng thái lọc không hợp lệ (pending, sent, skipped, failed)")
    offset, limit = _paging(request)
    R = CampaignRecipient
    where = [R.campaign_id == _id(request)] + ([R.status == status] if status else [])
    async with hub_of(request).sm() as s:
        await states.load(s, _id(request))
        total = (await s.execute(select(func.count()).where(*where))).scalar_one()
        rows = (await s.execute(select(R).where(*where).order_by(R.id).offset(offset).limit(limit))).scalars()
        items = [_recipient(r) for r in rows]
    return web.json_response({"total": total, "offset": offset, "limit": limit, "recipients": items})


def _recipient(r: CampaignRecipient) -> dict[str, Any]:
    return {
        **{k: getattr(r, k) for k in ("id", "identity_id", "external_id", "status", "reason", "vendor_id")},
        **{k: getattr(r, k) for k in ("error", "attempts")},
        "sent_at": _iso(r.sent_at),
        "next_attempt_at": _iso(r.next_attempt_at),
    }


def _paging(request: web.Request) -> tuple[int, int]:
    try:
        offset = int(request.query.get("offset") or 0)
        limit = int(request.query.get("limit") or 50)
    except ValueError as err:
        raise CampaignError("offset và limit phải là số nguyên") from err
    if offset < 0 or not 1 <= limit <= PAGE_MAX:
        raise CampaignError(f"offset ≥ 0 và limit từ 1 đến {PAGE_MAX}")
    return offset, limit


@_guard
async def report_json(request: web.Request) -> web.Response:
    require(request, *ROLES)
    async with hub_of(request).sm() as s:
        return web.json_response(await report.report(s, _id(request)))


@_guard
async def report_csv(request: web.Request) -> web.Response:
    user = require(request, *ROLES)
    hub = hub_of(request)
    async with hub.sm() as s, s.begin():
        text = await report.csv_text(s, _id(request))
        audit_action(s, request, user, "campaign_export", "campaign", _id(request), hub.clock.now())
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="thong-bao-{_id(request)}.csv"'},
    )


@_guard
async def resync_followers(request: web.Request) -> web.Response:
    user = require(request, *ADMINS)
    hub = hub_of(request)
    channel = (await json_body(request)).get("channel")
    broadcaster = broadcasters(hub).get(str(channel))
    if broadcaster is None:
        raise CampaignError("Chọn một kênh có danh sách người quan tâm")
    ids = await followers.follower_ids(broadcaster)  # from the channel, outside a transaction
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        got = await followers.apply(s, str(channel), ids, now)
        detail = {"channel": channel, **got.__dict__}
        audit_action(s, request, user, "followers_resync", "channel", str(channel), now, detail=detail)
    return web.json_response({"ok": True, **got.__dict__})


@_guard
async def set_contact_tags(request: web.Request) -> web.Response:
    user = require(request, *ROLES, Role.OPERATOR)
    raw = (await json_body(request)).get("tags")
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw) or len(raw) > rules.MAX_TAGS:
        raise CampaignError(f"tags phải là danh sách tối đa {rules.MAX_TAGS} chuỗi")
    hub = hub_of(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        if await s.get(Contact, _id(request)) is None:
            raise CampaignError("Không tìm thấy công dân", 404)
        kept = await tags.set_tags(s, _id(request), raw, now)
        audit_action(s, request, user, "contact_tags", "contact", _id(request), now, detail={"tags": kept})
    return web.json_response({"ok": True, "tags": kept})


def setup(console: web.Application, hub: Hub) -> None:
    """Add the campaigns' routes to the console's application."""
    r = console.router
    base = "/api/campaigns"
    r.add_get(base, list_campaigns)
    r.add_post(base, create)
    r.add_get(f"{base}/options", options)
    r.add_post(f"{base}/preview", preview)
    r.add_post(f"{base}/followers/resync", resync_followers)
    r.add_post(f"{base}/contacts/{ID}/tags", set_contact_tags)
    r.add_get(f"{base}/{ID}", get_one)
    r.add_post(f"{base}/{ID}", edit)
    for name, handler in (("submit", submit), ("approve", approve), ("reject", reject)):
        r.add_post(f"{base}/{ID}/{name}", handler)
    r.add_post(f"{base}/{ID}/cancel", cancel)
    r.add_post(f"{base}/{ID}/resume", resume)
    r.add_get(f"{base}/{ID}/recipients", recipients)
    r.add_get(f"{base}/{ID}/report", report_json)
    r.add_get(f"{base}/{ID}/report.csv", report_csv)
