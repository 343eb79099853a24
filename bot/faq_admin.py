"""FAQ spreadsheets in the operator console (plan IV.4; Điều 14.4, 15.3): agencies upload
their own question sets, see what changed against the active version, activate it, and
roll back to any earlier version. Admins (and supervisors) may act for any agency; an
agency officer only for their own.

Routes (in the console's application, behind its session and CSRF middleware):

GET  /console/faq                                 the page
GET  /console/api/faq/versions[?agency=]          versions, newest first (an agency's: its own
                                                  and those answering in its name)
POST /console/api/faq/import                      multipart: file, agency, activate, preview → job id
GET  /console/api/faq/jobs/{id}                   progress / result of an import (or a preview)
GET  /console/api/faq/versions/{id}/diff          added / changed / removed against the active one
GET  /console/api/faq/versions/{id}/overlap       questions shared with other agencies' active versions
POST /console/api/faq/versions/{id}/activate      activate (or roll back to) a version
POST /console/api/faq/versions/{id}/deactivate    take a version out of service

An import is validated in a worker thread while its progress is kept in the database (any
hub worker can answer the page's polling); nothing is stored unless the whole file is valid,
and nothing at all for a preview. Both list the file's questions that other agencies' active
versions hold too (a warning: the bot answers such a question once, see ``faq.overlap``).
An agency officer sees the versions answering in the agency's name but acts only on the
agency's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from bot.auth.audit import record
from bot.console.core import client_ip, error, own_agency, require, static_asset
from bot.faq_store import (
    NotActive,
    VersionInfo,
    activate,
    active_version,
    deactivate,
    diff_with_active,
    import_version,
    overlap_with_others,
    version_entries,
    versions,
)
from bot.hub import Hub, hub_of
from connectors.text import storable
from faq.importer import ImportLimits, ImportRejected, ImportResult, parse_file
from faq.versions import FaqDiff, diff
from storage.models import ChannelState
from storage.models_console import Role, User
from storage.models_faq import FaqVersion

log = logging.getLogger(__name__)

PAGE = Path(__file__).resolve().parent / "static" / "faq"
JOB_PREFIX = "faq-import:"
ALLOWED = {".xlsx", ".xls", ".csv"}
FAQ_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.AGENCY)


def setup(console: web.Application) -> None:
    """The routes above, in the console's application (mounted at ``/console``)."""
    r = console.router
    r.add_get("/faq", page)
    r.add_get("/faq/{name}", static)
    r.add_get("/api/faq/versions", list_versions)
    r.add_post("/api/faq/import", start_import)
    r.add_get("/api/faq/jobs/{id:[0-9a-f]{16}}", job_status)
    r.add_get("/api/faq/versions/{id:\\d{1,18}}/diff", version_diff)
    r.add_get("/api/faq/versions/{id:\\d{1,18}}/overlap", version_overlap)
    r.add_post("/api/faq/versions/{id:\\d{1,18}}/activate", activate_version)
    r.add_post("/api/faq/versions/{id:\\d{1,18}}/deactivate", deactivate_version)


async def page(request: web.Request) -> web.StreamResponse:
    """The page itself is static; its API calls need a logged-in session."""
    return web.FileResponse(PAGE / "index.html", headers={"Cache-Control": "no-cache"})


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in {"faq.js", "faq.css"}:
        raise web.HTTPNotFound()
    return static_asset(PAGE / name)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _version_dict(v: VersionInfo, own: str | None = None) -> dict[str, Any]:
    """A version as the page shows it; ``editable``: the viewer may act on it."""
    return {
        "id": v.id,
        "agency": v.agency,
        "number": v.number,
        "active": v.active,
        "entries": v.entry_count,
        "entries_in_name": v.in_name,
        "uploaded_by": v.created_by,
        "created_at": _iso(v.created_at),
        "activated_at": _iso(v.activated_at),
        "file": v.source_name,
        "editable": own is None or v.agency == own,
    }


async def list_versions(request: web.Request) -> web.Response:
    hub = hub_of(request)
    user = require(request, *FAQ_ROLES)
    own = await own_agency(hub, user)
    agency = own or request.query.get("agency") or None
    listed = await versions(hub.sm, agency)
    return web.json_response({"versions": [_version_dict(v, own) for v in listed]})


async def _set_job(hub: Hub, job: str, data: dict[str, Any]) -> None:
    async with hub.sm() as s, s.begin():
        row = await s.get(ChannelState, JOB_PREFIX + job)
        value = json.dumps(data, ensure_ascii=False)
        if row is None:
            s.add(ChannelState(key=JOB_PREFIX + job, value=value, updated_at=hub.clock.now()))
        else:
            row.value, row.updated_at = value, hub.clock.now()


async def _read_upload(request: web.Request, limit: int) -> tuple[dict[str, str], str, bytes]:
    fields: dict[str, str] = {}
    name, data = "", b""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            name = storable(Path(part.filename or "").name)
            buf = bytearray()
            while chunk := await part.read_chunk():
                buf += chunk
                if len(buf) > limit:
                    raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(buf))
            data = bytes(buf)
        elif part.name:
            text = (await part.read(decode=True)).decode("utf-8", "replace")
            fields[part.name] = storable(text[:300])
    return fields, name, data


async def start_import(request: web.Request) -> web.Response:
    hub = hub_of(request)
    user = require(request, *FAQ_ROLES)
    own = await own_agency(hub, user)
    limits = ImportLimits()
    try:
        fields, name, data = await _read_upload(request, limits.max_file_bytes)
    except web.HTTPRequestEntityTooLarge:
        return error(413, f"Tệp quá lớn: tối đa {limits.max_file_bytes // (1024 * 1024)} MB")
    if not name or not data:
        return error(400, "Chưa chọn tệp bảng tính")
    if Path(name).suffix.lower() not in ALLOWED:
        return error(400, "Chỉ nhận tệp .xlsx, .xls hoặc .csv")
    agency = own or fields.get("agency", "").strip()
    if own is not None and fields.get("agency") and fields["agency"].strip() != own:
        return error(403, "Cán bộ đầu mối chỉ được tải bộ câu hỏi của đơn vị mình")
    if not agency:
        return error(400, "Chọn đơn vị của bộ câu hỏi")
    job = secrets.token_hex(8)
    await _set_job(hub, job, {"state": "running", "done": 0, "total": 0, "agency": agency, "file": name})
    upload = Upload(
        job,
        user,
        agency,
        name,
        data,
        activate=fields.get("activate") == "true",
        preview=fields.get("preview") == "true",
        ip=client_ip(request),
    )
    hub.spawn(_run_import(hub, upload))
    return web.json_response({"job": job}, status=202)


@dataclass(frozen=True)
class Upload:
    job: str
    user: User
    agency: str
    name: str
    data: bytes
    activate: bool
    preview: bool  # validate and compare only: nothing is stored
    ip: str | None


def _parse(upload: Upload, on_progress: Callable[[int, int], None]) -> ImportResult:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / upload.name
        path.write_bytes(upload.data)
        return parse_file(path, None, None, on_progress, upload.agency)


def _counts(d: FaqDiff | None) -> dict[str, int] | None:
    return {"added": len(d.added), "changed": len(d.changed), "removed": len(d.removed)} if d else None


async def _outcome(hub: Hub, up: Upload, on_progress: Callable[[int, int], None]) -> dict[str, Any]:
    """The job's final state: rejected, checked (a preview) or done."""
    try:
        result = await asyncio.to_thread(_parse, up, on_progress)
    except ImportRejected as err:
        return {"state": "rejected", "report": err.report.to_text(), "agency": up.agency}
    overlap = await overlap_with_others(hub.sm, result.entries, up.agency)
    found = {
        "agency": up.agency,
        "file": up.name,
        "report": result.report.to_text(),
        "overlap": overlap.to_dict(),
    }
    if up.preview:
        current = await active_version(hub.sm, up.agency)
        old = await version_entries(hub.sm, current.id) if current else []
        changes = diff(old, result.entries)
        return {"state": "checked", "entries": len(result.entries), "diff": _counts(changes), **found}
    info = await import_version(
        hub.sm,
        hub.clock,
        result.entries,
        up.agency,
        activate=up.activate,
        source_name=up.name,
        created_by=up.user.username,
    )
    async with hub.sm() as s, s.begin():
        record(
            s,
            user=up.user,
            action="faq.import",
            object_type="faq_version",
            object_id=info.id,
            now=hub.clock.now(),
            ip=up.ip,
            detail={
                "agency": up.agency,
                "file": up.name,
                "entries": info.entry_count,
                "activated": up.activate,
                "shared_questions": overlap.questions,
            },
        )
    return {"state": "done", "version": _version_dict(info), "diff": _counts(info.diff), **found}


async def _run_import(hub: Hub, up: Upload) -> None:
    progress: dict[str, int] = {"done": 0, "total": 0}

    def on_progress(done: int, total: int) -> None:
        progress.update(done=done, total=total)

    async def report() -> None:
        while True:
            await asyncio.sleep(0.5)
            await _set_job(
                hub, up.job, {"state": "running", "agency": up.agency, "file": up.name, **progress}
            )

    reporter = asyncio.get_running_loop().create_task(report())
    try:
        final = await _outcome(hub, up, on_progress)
    except Exception as err:
        log.exception("FAQ import failed")
        final = {"state": "failed", "error": f"Lỗi khi nhập: {err}", "agency": up.agency}
    finally:
        reporter.cancel()
        await asyncio.gather(reporter, return_exceptions=True)
    await _set_job(hub, up.job, final)


async def job_status(request: web.Request) -> web.Response:
    hub = hub_of(request)
    require(request, *FAQ_ROLES)
    async with hub.sm() as s:
        row = await s.get(ChannelState, JOB_PREFIX + request.match_info["id"])
    if row is None:
        return error(404, "Không có lượt nhập này")
    return web.json_response(json.loads(row.value))


async def _version_for(request: web.Request) -> tuple[Hub, User, FaqVersion]:
    hub = hub_of(request)
    user = require(request, *FAQ_ROLES)
    own = await own_agency(hub, user)
    async with hub.sm() as s:
        version = await s.get(FaqVersion, int(request.match_info["id"]))
    if version is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": "Không có phiên bản này"}), content_type="application/json"
        )
    if own is not None and version.agency != own:
        raise web.HTTPForbidden(
            text=json.dumps({"error": "Phiên bản của đơn vị khác"}), content_type="application/json"
        )
    return hub, user, version


async def version_diff(request: web.Request) -> web.Response:
    hub, _, version = await _version_for(request)
    d = await diff_with_active(hub.sm, version.id)
    return web.json_response(
        {
            "added": [{"id": e.id, "question": e.question} for e in d.added],
            "changed": [
                {"id": c.new.id, "question": c.new.question, "fields": list(c.fields)} for c in d.changed
            ],
            "removed": [{"id": e.id, "question": e.question} for e in d.removed],
        }
    )


async def _overlap(hub: Hub, version: FaqVersion) -> dict[str, Any]:
    entries = await version_entries(hub.sm, version.id)
    return (await overlap_with_others(hub.sm, entries, version.agency)).to_dict()


async def version_overlap(request: web.Request) -> web.Response:
    """Questions of this version that other agencies' active versions hold too."""
    hub, _, version = await _version_for(request)
    return web.json_response({"overlap": await _overlap(hub, version)})


def _audit(request: web.Request, user: User, action: str) -> Callable[[Any, FaqVersion], object]:
    """Records ``action`` on the version in the same transaction as the change."""
    hub = hub_of(request)

    def add(session: Any, version: FaqVersion) -> object:
        detail = {"agency": version.agency, "number": version.number}
        return record(
            session,
            user=user,
            action=action,
            object_type="faq_version",
            object_id=version.id,
            now=hub.clock.now(),
            ip=client_ip(request),
            detail=detail,
        )

    return add


async def activate_version(request: web.Request) -> web.Response:
    """Activate (or roll back to) a version; the answer lists the questions it shares with
    other agencies' active versions (a warning)."""
    hub, user, version = await _version_for(request)
    info = await activate(hub.sm, hub.clock, version.id, _audit(request, user, "faq.activate"))
    return web.json_response({"version": _version_dict(info), "overlap": await _overlap(hub, version)})


async def deactivate_version(request: web.Request) -> web.Response:
    """Take a version out of service: every hub worker stops answering from it within its
    FAQ poll interval (the database's FAQ generation is bumped, as on an activation)."""
    hub, user, version = await _version_for(request)
    try:
        info = await deactivate(hub.sm, hub.clock, version.id, _audit(request, user, "faq.deactivate"))
    except NotActive as err:
        return error(409, str(err))
    return web.json_response({"version": _version_dict(info)})
