"""Citizens' data requests (Law 91/2025/QH15; deadlines of Decree 356/2025/NĐ-CP): the ONE
writer of ``data_requests`` (the retention job deletes through :func:`expire`) and
``data_request_codes``.

A request is acknowledged within 2 working days and answered within 10 (view, copy,
correct), 15 (withdraw consent, restrict, object) or 20 (delete) working days, counted on
the hub's working calendar (:mod:`handoff.calendar`: weekends, public holidays, Tết, make-up
days): the day of receipt is not counted, a deadline is the end (23:59:59 local) of its
working day. One extension, of the same length, with a reason. The numbers are settings
(``HUB_DATA_REQUEST_DAYS_*``, :meth:`Deadlines.from_env`).

Statuses: ``received`` → ``acknowledged`` → (``extended``) → ``answered`` or ``refused``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.calendar import WorkingCalendar
from privacy import copy_links
from storage.clock import as_utc
from storage.models_privacy import ContactRestriction, DataRequest, VerificationCode

KINDS = ("view", "copy", "correct", "delete", "restrict", "object", "withdraw_consent")
KIND_LABELS = {
    "view": "xem dữ liệu cá nhân",
    "copy": "nhận bản sao dữ liệu cá nhân",
    "correct": "chỉnh sửa dữ liệu cá nhân",
    "delete": "xoá dữ liệu cá nhân",
    "restrict": "hạn chế xử lý dữ liệu cá nhân",
    "object": "phản đối xử lý dữ liệu cá nhân",
    "withdraw_consent": "rút lại sự đồng ý",
}
RECEIVED, ACKNOWLEDGED, EXTENDED, ANSWERED, REFUSED = (
    "received",
    "acknowledged",
    "extended",
    "answered",
    "refused",
)
STATUS_LABELS = {
    RECEIVED: "Đã tiếp nhận",
    ACKNOWLEDGED: "Đã xác nhận",
    EXTENDED: "Đã gia hạn",
    ANSWERED: "Đã trả lời",
    REFUSED: "Từ chối",
}
OPEN = (RECEIVED, ACKNOWLEDGED, EXTENDED)
WEB_FORM = "web_form"
CODE_MINUTES = 15
CODE_ATTEMPTS = 5
_DEFAULT_DAYS = {"ack": 2, "view": 10, "copy": 10, "correct": 10, "withdraw_consent": 15}
_DEFAULT_DAYS |= {"restrict": 15, "object": 15, "delete": 20}


class RequestError(ValueError):
    """A change a request's state does not allow (Vietnamese message, HTTP ``status``)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Deadlines:
    """Working days per kind (``ack``: the acknowledgement)."""

    days: Mapping[str, int] = field(default_factory=lambda: dict(_DEFAULT_DAYS))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Deadlines:
        days = dict(_DEFAULT_DAYS)
        for key in days:
            name = f"HUB_DATA_REQUEST_DAYS_{key.upper()}"
            raw = (env.get(name) or "").strip()
            if raw:
                if not raw.isdigit() or int(raw) < 1:
                    raise ValueError(f"{name}: cần một số nguyên dương, nhận {raw!r}")
                days[key] = int(raw)
        return cls(days)


def working_day_after(calendar: WorkingCalendar, start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` not counted)."""
    day, left = start, n
    while left > 0:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    return day


def end_of(calendar: WorkingCalendar, day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(23, 59, 59), calendar.timezone)
    return local.astimezone(dt.UTC)


def deadline(calendar: WorkingCalendar, since: dt.datetime, days: int) -> dt.datetime:
    """The end of the ``days``-th working day after the local day of ``since``."""
    start = since.astimezone(calendar.timezone).date()
    return end_of(calendar, working_day_after(calendar, start, days))


def due(req: DataRequest) -> dt.datetime:
    return as_utc(req.extended_due or req.due_at) or req.due_at


def is_late(req: DataRequest, now: dt.datetime) -> bool:
    return req.status in OPEN and due(req) < now


def ack_late(req: DataRequest, now: dt.datetime) -> bool:
    ack_due = as_utc(req.ack_due) or req.ack_due
    return req.acknowledged_at is None and req.status in OPEN and ack_due < now


async def create(
    s: AsyncSession,
    *,
    contact_id: int,
    kind: str,
    channel: str,
    now: dt.datetime,
    calendar: WorkingCalendar,
    deadlines: Deadlines,
    verification: str,
    conversation_id: int | None = None,
    text: str | None = None,
    email: str | None = None,
    acknowledged: bool = True,
) -> DataRequest:
    """A new request; ``acknowledged``: its acknowledgement is given at once (the bot's
    reply, the form's page)."""
    if kind not in KINDS:
        raise RequestError(f"Loại yêu cầu không hợp lệ: {kind}", 400)
    req = DataRequest(
        reference=f"tmp-{secrets.token_hex(8)}",
        contact_id=contact_id,
        kind=kind,
        channel=channel,
        conversation_id=conversation_id,
        text=(text or None) and text[:4000],
        verification=verification,
        status=ACKNOWLEDGED if acknowledged else RECEIVED,
        received_at=now,
        ack_due=deadline(calendar, now, deadlines.days["ack"]),
        due_at=deadline(calendar, now, deadlines.days[kind]),
        acknowledged_at=now if acknowledged else None,
        email=email,
    )
    s.add(req)
    await s.flush()
    req.reference = f"YCDL-{now.astimezone(calendar.timezone):%Y}-{req.id:06d}"
    await s.flush()
    return req


async def get_for_update(s: AsyncSession, request_id: int) -> DataRequest:
    req = await s.get(DataRequest, request_id, with_for_update=True)
    if req is None:
        raise RequestError("Không tìm thấy yêu cầu", 404)
    return req


def _open(req: DataRequest) -> None:
    if req.status not in OPEN:
        raise RequestError("Yêu cầu đã được trả lời hoặc từ chối")


def acknowledge(req: DataRequest, now: dt.datetime, by: str) -> None:
    if req.status != RECEIVED:
        raise RequestError("Yêu cầu đã được xác nhận")
    req.status, req.acknowledged_at, req.handled_by = ACKNOWLEDGED, now, by


def extend(
    req: DataRequest, now: dt.datetime, reason: str, by: str, calendar: WorkingCalendar, deadlines: Deadlines
) -> None:
    """Once, by the kind's own length, counted from the first deadline."""
    _open(req)
    if req.extended_due is not None:
        raise RequestError("Yêu cầu chỉ được gia hạn một lần")
    if not reason.strip():
        raise RequestError("Cần nêu lý do gia hạn", 400)
    first = as_utc(req.due_at) or req.due_at
    req.extended_due = deadline(calendar, first, deadlines.days[req.kind])
    req.extension_reason = reason.strip()[:2000]
    req.acknowledged_at = req.acknowledged_at or now
    req.status, req.handled_by = EXTENDED, by


def answer(req: DataRequest, now: dt.datetime, text: str, by: str) -> None:
    _open(req)
    req.status, req.answer, req.answered_at, req.handled_by = ANSWERED, text, now, by
    req.acknowledged_at = req.acknowledged_at or now


def refuse(req: DataRequest, now: dt.datetime, text: str, basis: str, by: str) -> None:
    _open(req)
    req.status, req.answer, req.refusal_basis = REFUSED, text, basis
    req.answered_at, req.handled_by = now, by
    req.acknowledged_at = req.acknowledged_at or now


async def listing(s: AsyncSession, now: dt.datetime, *, open_only: bool = False) -> list[DataRequest]:
    q = select(DataRequest).order_by(DataRequest.due_at, DataRequest.id)
    if open_only:
        q = q.where(DataRequest.status.in_(OPEN))
    return list((await s.scalars(q)).all())


def as_dict(req: DataRequest, now: dt.datetime) -> dict[str, Any]:
    def iso(v: dt.datetime | None) -> str | None:
        return (as_utc(v) or v).isoformat() if v else None

    return {
        "id": req.id,
        "reference": req.reference,
        "contact_id": req.contact_id,
        "kind": req.kind,
        "kind_label": KIND_LABELS[req.kind],
        "channel": req.channel,
        "conversation_id": req.conversation_id,
        "text": req.text,
        "verification": req.verification,
        "status": req.status,
        "status_label": STATUS_LABELS[req.status],
        "received_at": iso(req.received_at),
        "ack_due": iso(req.ack_due),
        "due_at": iso(req.due_at),
        "extended_due": iso(req.extended_due),
        "extension_reason": req.extension_reason,
        "acknowledged_at": iso(req.acknowledged_at),
        "answered_at": iso(req.answered_at),
        "anonymised_at": iso(req.anonymised_at),
        "answer": req.answer,
        "refusal_basis": req.refusal_basis,
        "handled_by": req.handled_by,
        "late": is_late(req, now),
        "ack_late": ack_late(req, now),
    }


# ---------------------------------------------------------------- one-time codes (e-mail)


def _hash(token: str, code: str) -> str:
    return hashlib.sha256(f"{token}:{code}".encode()).hexdigest()


def dead_token() -> str:
    """A handle no code has (the form looks the same whether an address is known or not)."""
    return secrets.token_urlsafe(24)


async def new_code(
    s: AsyncSession, contact_id: int, kind: str, now: dt.datetime, *, text: str = ""
) -> tuple[str, str]:
    """A 6-digit code for the contact (only its hash is kept): ``(token, code)``."""
    token, code = secrets.token_urlsafe(24), f"{secrets.randbelow(10**6):06d}"
    s.add(
        VerificationCode(
            token=token,
            subject_id=contact_id,
            kind=kind,
            text=text or None,
            code_hash=_hash(token, code),
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
            attempts=0,
            created_at=now,
        )
    )
    await s.flush()
    return token, code


async def check_code(s: AsyncSession, token: str, code: str, now: dt.datetime) -> VerificationCode | str:
    """The code's row when ``code`` is right, unexpired and unused, else the error
    (Vietnamese). A wrong code is counted in the caller's transaction, which must be
    committed (after :data:`CODE_ATTEMPTS` the code is dead)."""
    row = (
        await s.execute(select(VerificationCode).where(VerificationCode.token == token).with_for_update())
    ).scalar_one_or_none()
    if row is None or row.used_at is not None:
        return "Mã xác thực không còn hiệu lực: hãy yêu cầu mã mới"
    if (as_utc(row.expires_at) or row.expires_at) < now or row.attempts >= CODE_ATTEMPTS:
        return "Mã xác thực đã hết hạn hoặc bị nhập sai quá nhiều lần: hãy yêu cầu mã mới"
    if not secrets.compare_digest(row.code_hash, _hash(token, code.strip())):
        row.attempts += 1
        return "Mã xác thực không đúng"
    row.used_at = now
    return row


# ---------------------------------------------------------------- retention and anonymisation


async def scrub_contact(s: AsyncSession, contact_ids: list[int]) -> int:
    """A contact anonymised: its requests keep their kind, dates and status (the hotline's
        record of having handled them) but lose the citizen's words and address; its codes and
    copy links go.
        For :mod:`privacy.anonymise` (the caller's transaction). How many requests changed."""
    if not contact_ids:
        return 0
    await s.execute(delete(VerificationCode).where(VerificationCode.subject_id.in_(contact_ids)))
    await copy_links.forget(s, contact_ids=contact_ids)
    done = await s.execute(
        update(DataRequest)
        .where(DataRequest.contact_id.in_(contact_ids))
        .values(text=None, email=None, answer=None)
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


async def expire(
    s: AsyncSession, answered_before: dt.datetime, now: dt.datetime, *, keep_contacts: Collection[int] = ()
) -> int:
    """The retention job's part (``HUB_RETENTION_REQUEST_YEARS``): requests answered or
    refused before ``answered_before`` are deleted with their copy links, except one a
    restriction still names (its record) and those of ``keep_contacts`` (a legal hold); and
    every expired one-time code. How many requests were deleted."""
    await s.execute(delete(VerificationCode).where(VerificationCode.expires_at < now))
    named = select(ContactRestriction.request_id).where(ContactRestriction.request_id.is_not(None))
    q = select(DataRequest.id, DataRequest.contact_id).where(
        DataRequest.status.in_((ANSWERED, REFUSED)),
        func.coalesce(DataRequest.answered_at, DataRequest.received_at) < answered_before,
        DataRequest.id.not_in(named),
    )
    due = [rid for rid, contact_id in (await s.execute(q)).all() if contact_id not in keep_contacts]
    if not due:
        return 0
    await copy_links.forget(s, request_ids=due)
    gone = await s.execute(delete(DataRequest).where(DataRequest.id.in_(due)))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
