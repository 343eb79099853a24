"""The personal-data breach register (Law 91/2025/QH15 Điều 23; Decree 356/2025/NĐ-CP): the
one owner of ``privacy_breaches``. Record a breach, correct it, mark the notification to the
specialised authority, close it; the 72-hour clock's notices (:func:`check_clock`) and the
notification text generated from the record (:func:`notification_text`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.calendar import HOTLINE_TZ
from handoff.notify import format_time
from privacy import breach_clock
from privacy.breach_clock import BreachSettings, Notice
from storage.clock import as_utc
from storage.models_breaches import Breach
from storage.models_console import Notification, Role

TEXT_FIELDS = {  # field: (label, max length)
    "summary": ("Mô tả sự việc", 5000),
    "data_categories": ("Loại dữ liệu cá nhân bị ảnh hưởng", 2000),
    "consequences": ("Hậu quả, thiệt hại có thể xảy ra", 5000),
    "measures": ("Biện pháp đã thực hiện", 5000),
}
TIME_FIELDS = {"discovered_at": "Thời điểm phát hiện", "occurred_at": "Thời điểm xảy ra"}
COUNT_LABEL = "Số người bị ảnh hưởng (ước tính)"
MAX_COUNT = 1_000_000_000
YEARS = (2000, 2999)
FUTURE_SLACK = timedelta(minutes=5)  # a browser's clock a little ahead is not "in the future"
STATUS_LABELS = {
    "open": "Chưa thông báo",
    "notified": "Đã thông báo cơ quan chuyên trách",
    "closed": "Đã đóng",
}


class BreachError(Exception):
    """A refused change, with its Vietnamese message and HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _text(body: Mapping[str, Any], key: str) -> str:
    label, max_len = TEXT_FIELDS[key]
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BreachError(f"Vui lòng nhập «{label}»")
    if len(value) > max_len:
        raise BreachError(f"«{label}» quá dài (tối đa {max_len} ký tự)")
    return value.strip()


def parse_time(value: Any, label: str) -> datetime:
    """An ISO 8601 time (without an offset: the hotline's local time), in UTC."""
    if not isinstance(value, str) or not value.strip():
        raise BreachError(f"Vui lòng nhập «{label}»")
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError as err:
        raise BreachError(f"«{label}» không hợp lệ (dạng 2027-03-02T09:30)") from err
    if when.tzinfo is None:
        when = when.replace(tzinfo=HOTLINE_TZ)
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise BreachError(f"«{label}»: năm phải từ {YEARS[0]} đến {YEARS[1]}")
    return when.astimezone(UTC)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BreachError(f"«{COUNT_LABEL}» phải là một số nguyên không âm")
    try:
        n = int(value)
    except ValueError as err:
        raise BreachError(f"«{COUNT_LABEL}» phải là một số nguyên không âm") from err
    if not 0 <= n <= MAX_COUNT:
        raise BreachError(f"«{COUNT_LABEL}» phải từ 0 đến {MAX_COUNT}")
    return n


def parse_facts(body: Mapping[str, Any], now: datetime, *, partial: bool = False) -> dict[str, Any]:
    """The record's facts from a form, checked: every field (``partial``: those given)."""
    facts: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        if not partial or key in body:
            facts[key] = _text(body, key)
    for key, label in TIME_FIELDS.items():
        if partial and key not in body:
            continue
        if key == "occurred_at" and body.get(key) in (None, ""):
            facts[key] = None
            continue
        when = parse_time(body.get(key), label)
        if when > now + FUTURE_SLACK:
            raise BreachError(f"«{label}» không được ở tương lai")
        facts[key] = when
    if not partial or "affected_count" in body:
        facts["affected_count"] = _count(body.get("affected_count"))
    return facts


def _check_order(discovered: datetime, occurred: datetime | None) -> None:
    if occurred is not None and occurred > discovered:
        raise BreachError("«Thời điểm xảy ra» không được sau «Thời điểm phát hiện»")


async def load(s: AsyncSession, breach_id: int, *, lock: bool = False) -> Breach:
    query = select(Breach).where(Breach.id == breach_id)
    row = (await s.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if row is None:
        raise BreachError("Không tìm thấy vụ vi phạm dữ liệu này", 404)
    return row


async def listing(s: AsyncSession) -> list[Breach]:
    """Open ones first (oldest discovery first: the nearest deadline), then the rest, newest first."""
    rows = (await s.execute(select(Breach).order_by(Breach.discovered_at.desc(), Breach.id.desc()))).scalars()
    every = list(rows)
    return [b for b in reversed(every) if b.status == "open"] + [b for b in every if b.status != "open"]


async def record(
    s: AsyncSession, body: Mapping[str, Any], now: datetime, user_id: int | None, username: str | None
) -> Breach:
    facts = parse_facts(body, now)
    _check_order(facts["discovered_at"], facts["occurred_at"])
    row = Breach(
        status="open",
        recorded_by_id=user_id,
        recorded_by=username,
        created_at=now,
        updated_at=now,
        **facts,
    )
    s.add(row)
    await s.flush()
    return row


async def update_facts(s: AsyncSession, breach_id: int, body: Mapping[str, Any], now: datetime) -> Breach:
    """Correct the record (not a closed one); the fields changed, for the audit."""
    row = await load(s, breach_id, lock=True)
    if row.status == "closed":
        raise BreachError("Vụ vi phạm đã đóng, không sửa được", 409)
    facts = parse_facts(body, now, partial=True)
    if not facts:
        raise BreachError("Không có thông tin nào để sửa")
    discovered = facts.get("discovered_at", as_utc(row.discovered_at))
    assert discovered is not None
    _check_order(discovered, facts.get("occurred_at", as_utc(row.occurred_at)))
    for key, value in facts.items():
        setattr(row, key, value)
    row.updated_at = now
    return row


async def mark_notified(
    s: AsyncSession, breach_id: int, body: Mapping[str, Any], now: datetime, username: str | None
) -> Breach:
    """The authority was notified at ``notified_at`` under ``reference``: the clock stops."""
    row = await load(s, breach_id, lock=True)
    if row.status != "open":
        raise BreachError("Vụ vi phạm này đã được đánh dấu đã thông báo hoặc đã đóng", 409)
    when = parse_time(body.get("notified_at"), "Thời điểm thông báo")
    discovered = as_utc(row.discovered_at)
    assert discovered is not None
    if when > now + FUTURE_SLACK:
        raise BreachError("«Thời điểm thông báo» không được ở tương lai")
    if when < discovered:
        raise BreachError("«Thời điểm thông báo» không được trước «Thời điểm phát hiện»")
    ref = body.get("reference")
    if not isinstance(ref, str) or not ref.strip():
        raise BreachError("Vui lòng nhập «Số hiệu, mã tiếp nhận của thông báo»")
    if len(ref) > 200:
        raise BreachError("«Số hiệu, mã tiếp nhận của thông báo» quá dài (tối đa 200 ký tự)")
    row.status, row.notified_at, row.notified_ref, row.notified_by = "notified", when, ref.strip(), username
    row.updated_at = now
    return row


async def close(
    s: AsyncSession, breach_id: int, body: Mapping[str, Any], now: datetime, username: str | None
) -> Breach:
    """Close the case with a note (the outcome; why no notification was needed, if none was)."""
    row = await load(s, breach_id, lock=True)
    if row.status == "closed":
        raise BreachError("Vụ vi phạm này đã đóng", 409)
    note = body.get("note")
    if not isinstance(note, str) or not note.strip():
        raise BreachError("Vui lòng nhập «Kết quả xử lý» khi đóng vụ vi phạm")
    if len(note) > 5000:
        raise BreachError("«Kết quả xử lý» quá dài (tối đa 5000 ký tự)")
    row.status, row.closed_at, row.closed_by, row.close_note = "closed", now, username, note.strip()
    row.updated_at = now
    return row


def _notice_text(row: Breach, notice: Notice) -> str:
    discovered = as_utc(row.discovered_at)
    assert discovered is not None
    due = format_time(breach_clock.due_at(discovered))
    if notice == Notice.REMINDER:
        return (
            f"Vi phạm dữ liệu cá nhân số {row.id}: còn 24 giờ để thông báo cơ quan chuyên trách "
            f"(hạn {due}, 72 giờ từ khi phát hiện)"
        )
    return (
        f"Vi phạm dữ liệu cá nhân số {row.id}: đã quá hạn 72 giờ (hạn {due}) mà chưa thông báo "
        "cơ quan chuyên trách"
    )


async def check_clock(s: AsyncSession, now: datetime) -> list[Notification]:
    """One scan (periodic, idempotent): each breach not yet notified to the authority gets,
    exactly once, the 48-hour reminder and the 72-hour overdue notice, as notifications for
    supervisors and admins. Each mark is a conditional update, so two workers tell once."""
    since = now - breach_clock.REMIND_AFTER
    rows = await s.execute(
        select(Breach).where(
            Breach.status == "open",
            Breach.discovered_at <= since,
            or_(Breach.reminded_at.is_(None), Breach.overdue_noticed_at.is_(None)),
        )
    )
    notes: list[Notification] = []
    for row in rows.scalars().all():
        discovered = as_utc(row.discovered_at)
        assert discovered is not None
        notice = breach_clock.notice_due(
            discovered, now, row.reminded_at is not None, row.overdue_noticed_at is not None
        )
        if notice is None or not await _claim(s, row.id, notice, now):
            continue
        note = Notification(
            role=Role.SUPERVISOR.value,  # supervisors and admins (bot.console.live)
            agency_id=None,
            ticket_id=None,
            kind=notice.value,
            text=_notice_text(row, notice),
            read=False,
            created_at=now,
        )
        s.add(note)
        notes.append(note)
    await s.flush()
    return notes


async def _claim(s: AsyncSession, breach_id: int, notice: Notice, now: datetime) -> bool:
    """Mark ``notice`` sent if no one has (an overdue notice also spends an unsent reminder)."""
    column = Breach.overdue_noticed_at if notice == Notice.OVERDUE else Breach.reminded_at
    values: dict[str, Any] = {column.key: now}
    if notice == Notice.OVERDUE:
        values["reminded_at"] = func.coalesce(Breach.reminded_at, now)
    moved = await s.execute(
        update(Breach)
        .where(Breach.id == breach_id, Breach.status == "open", column.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def _local(value: datetime | None, unknown: str) -> str:
    return format_time(as_utc(value)) if value is not None else unknown


def notification_text(row: Breach, settings: BreachSettings, now: datetime | None = None) -> str:
    """The notification to the specialised authority, from the record. Its parts follow what
    the texts ask a notification to hold (Law 91/2025 Điều 23; Decree 356/2025; see
    docs/personal-data.md): the nature of the breach with time and place, the data and
    the number of people, the contact person, the likely consequences, the measures taken,
    and why it is late if it is."""
    discovered = as_utc(row.discovered_at)
    assert discovered is not None
    due = breach_clock.due_at(discovered)
    sent = as_utc(row.notified_at) or now
    count = f"{row.affected_count:_}".replace("_", ".")
    contact = settings.contact or "(chưa cấu hình người liên hệ: HUB_BREACH_CONTACT)"
    lines = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "",
        "THÔNG BÁO VI PHẠM QUY ĐỊNH VỀ BẢO VỆ DỮ LIỆU CÁ NHÂN",
        "",
        f"Kính gửi: {settings.authority}",
        "",
        f"Căn cứ {settings.legal_basis}, {settings.controller} thông báo vi phạm quy định về "
        "bảo vệ dữ liệu cá nhân như sau:",
        "",
        f"1. Tổ chức thông báo: {settings.controller}. Người chịu trách nhiệm, liên hệ: {contact}.",
        f"2. Mô tả vi phạm: {row.summary}",
        f"   - Thời điểm xảy ra: {_local(row.occurred_at, 'chưa xác định')}.",
        f"   - Thời điểm phát hiện: {format_time(discovered)}.",
        f"3. Loại dữ liệu cá nhân bị ảnh hưởng: {row.data_categories}",
        f"4. Số lượng chủ thể dữ liệu bị ảnh hưởng (ước tính): {count} người.",
        f"5. Hậu quả, thiệt hại có thể xảy ra: {row.consequences}",
        f"6. Biện pháp đã thực hiện để khắc phục, giảm thiểu tác hại: {row.measures}",
        f"7. Thời hạn thông báo (72 giờ kể từ khi phát hiện): {format_time(due)}.",
    ]
    if sent is not None and sent > due:
        lines.append("   Thông báo sau thời hạn 72 giờ. Lý do chậm: ……………………………………")
    lines += [
        "",
        f"Mã vụ việc trong sổ theo dõi vi phạm: {row.id}; người ghi nhận: {row.recorded_by or '—'}.",
        "",
        f"{settings.controller}",
        "(Ký, ghi rõ họ tên, đóng dấu)",
    ]
    return "\n".join(lines)
