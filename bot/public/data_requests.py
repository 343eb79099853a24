"""The public form for a citizen's data request, with verification (issue 18).

``GET /yeu-cau-du-lieu/`` shows it; ``POST /yeu-cau-du-lieu/`` records a request once the
citizen is verified, either by a ticket code and the last 4 digits of the phone given on it
(the lookup's check and rate limit, :func:`handoff.lookup.public_lookup`: a wrong pair is
counted per code and per client address), or by a one-time code sent to the e-mail address
on record through the e-mail channel (when one is enabled; the address must be one the
citizen wrote from). A code sent to the phone needs an SMS gateway the hub does not have:
the page says so. The page then shows the request's reference and deadline.

Like the lookup, the form changes nothing before verification but counters, so it needs no
session: a cross-site POST is refused; the same security headers (no script at all).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.contacts_api import _EMAIL as EMAIL
from bot.console.core import client_ip
from bot.hub import hub_of
from bot.public import _guard, _html, _same_origin, _to, limits
from bot.public.pages import e, layout
from handoff.lookup import normalize_code, public_lookup
from privacy import copy_links, requests
from privacy.request_delivery import email_identity, send_code
from storage.models import ChannelIdentity, Contact, Ticket
from storage.models_privacy import DataRequest, VerificationCode

if TYPE_CHECKING:
    from bot.hub import Hub

PATH = "/yeu-cau-du-lieu/"
MAX_FORM = 8192
CODES_PER_HOUR = 3  # codes sent to one address within an hour
SMS_NOTE = (
    "Tổng đài chưa có cổng gửi tin nhắn SMS nên chưa gửi được mã xác thực qua số điện thoại: "
    "hãy dùng mã phiếu và 4 số cuối điện thoại, hoặc mã gửi qua e-mail."
)


def _kinds(chosen: str) -> str:
    return "".join(
        f'<option value="{k}"{" selected" if k == chosen else ""}>{e(label.capitalize())}</option>'
        for k, label in requests.KIND_LABELS.items()
    )


def form(*, kind: str = "view", error: str | None = None, email_enabled: bool = False) -> str:
    message = f'<p class="error" id="error" role="alert">{e(error)}</p>' if error else ""
    by_email = (
        '<h2>Cách 2: mã xác thực gửi qua e-mail</h2><form class="lookup" method="post" '
        f'action="{PATH}"><input type="hidden" name="method" value="email">'
        f'<label for="kind2">Yêu cầu</label><select id="kind2" name="kind">{_kinds(kind)}</select>'
        '<label for="email">E-mail anh/chị đã dùng để liên hệ tổng đài</label>'
        '<input id="email" name="email" type="email" maxlength="320" required autocomplete="email">'
        '<label for="text2">Nội dung (ví dụ: thông tin cần sửa)</label>'
        '<textarea id="text2" name="text" maxlength="2000"></textarea>'
        '<button type="submit">Gửi mã xác thực</button></form>'
        if email_enabled
        else "<p>Tổng đài chưa bật kênh e-mail nên chưa gửi được mã xác thực qua e-mail.</p>"
    )
    return (
        "<h1>Yêu cầu về dữ liệu cá nhân</h1>"
        "<p>Theo Luật Bảo vệ dữ liệu cá nhân (Luật số 91/2025/QH15), anh/chị có quyền xem, nhận bản "
        "sao, chỉnh sửa, xoá dữ liệu, hạn chế xử lý, phản đối xử lý và rút lại sự đồng ý. Tổng đài "
        "xác nhận yêu cầu trong 2 ngày làm việc và trả lời trong 10 đến 20 ngày làm việc tuỳ loại "
        "(Nghị định 356/2025/NĐ-CP).</p>"
        f"{message}<h2>Cách 1: mã phiếu và 4 số cuối điện thoại</h2>"
        f'<form class="lookup" method="post" action="{PATH}">'
        '<input type="hidden" name="method" value="ticket">'
        f'<label for="kind">Yêu cầu</label><select id="kind" name="kind">{_kinds(kind)}</select>'
        '<label for="code">Mã phiếu</label><input id="code" name="code" maxlength="40" required '
        'placeholder="1022-2027-000123" autocomplete="off">'
        '<label for="phone">4 số cuối điện thoại đã cung cấp</label><input id="phone" name="phone" '
        'inputmode="numeric" pattern="[0-9]{4}" maxlength="4" required autocomplete="off">'
        '<label for="email1">E-mail nhận trả lời (không bắt buộc)</label>'
        '<input id="email1" name="email" type="email" maxlength="320" autocomplete="email">'
        '<label for="text">Nội dung (ví dụ: thông tin cần sửa)</label>'
        '<textarea id="text" name="text" maxlength="2000"></textarea>'
        f'<button type="submit">Gửi yêu cầu</button></form>{by_email}<p class="note">{e(SMS_NOTE)}</p>'
        f"{STATUS_FORM}"
    )


STATUS_FORM = (
    "<h2>Tra cứu kết quả yêu cầu</h2>"
    f'<form class="lookup" method="post" action="{PATH}"><input type="hidden" name="method" value="status">'
    '<label for="ref">Mã yêu cầu</label><input id="ref" name="reference" maxlength="32" required '
    'placeholder="YCDL-2027-000012" autocomplete="off">'
    '<label for="code3">Mã phiếu</label>'
    '<input id="code3" name="code" maxlength="40" required autocomplete="off">'
    '<label for="phone3">4 số cuối điện thoại</label><input id="phone3" name="phone" inputmode="numeric" '
    'pattern="[0-9]{4}" maxlength="4" required autocomplete="off">'
    '<button type="submit">Tra cứu</button></form>'
)


def status_block(req: DataRequest, tz: ZoneInfo, link: str = "") -> str:
    rows = [
        ("Mã yêu cầu", req.reference),
        ("Yêu cầu", requests.KIND_LABELS[req.kind]),
        ("Trạng thái", requests.STATUS_LABELS[req.status]),
        ("Hạn trả lời", f"{requests.due(req).astimezone(tz):%d/%m/%Y}"),
    ]
    fields = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows)
    answer = f'<h2>Trả lời</h2><div class="answer" id="answer">{e(req.answer)}</div>' if req.answer else ""
    return f'<section class="result" id="result"><dl>{fields}</dl>{answer}{link}</section>'


def code_form(token: str, error: str | None = None) -> str:
    message = f'<p class="error" id="error" role="alert">{e(error)}</p>' if error else ""
    return (
        "<h1>Nhập mã xác thực</h1><p>Nếu địa chỉ e-mail có trong hồ sơ của tổng đài, mã gồm 6 chữ số "
        f"đã được gửi tới địa chỉ đó; mã có hiệu lực {requests.CODE_MINUTES} phút.</p>{message}"
        f'<form class="lookup" method="post" action="{PATH}"><input type="hidden" name="method" value="code">'
        f'<input type="hidden" name="token" value="{e(token)}">'
        '<label for="otp">Mã xác thực</label><input id="otp" name="otp" inputmode="numeric" '
        'pattern="[0-9]{6}" maxlength="6" required autocomplete="one-time-code">'
        '<button type="submit">Xác nhận</button></form>'
    )


def recorded(req: DataRequest, tz: ZoneInfo) -> str:
    due = requests.due(req).astimezone(tz)
    return (
        '<section class="result" id="result"><h1>Đã tiếp nhận yêu cầu</h1>'
        f'<dl><dt>Mã yêu cầu</dt><dd id="reference">{e(req.reference)}</dd>'
        f"<dt>Yêu cầu</dt><dd>{e(requests.KIND_LABELS[req.kind])}</dd>"
        f'<dt>Hạn trả lời</dt><dd id="due">{due:%d/%m/%Y}</dd></dl>'
        "<p>Cán bộ có thể liên hệ để xác minh trước khi thực hiện. Kết quả được gửi qua e-mail nếu "
        "anh/chị có e-mail trong hồ sơ.</p></section>"
    )


def _page(hub: Hub, body: str, status: int = 200) -> web.Response:
    return _html(layout(hub.settings.hotline_name, "Yêu cầu về dữ liệu cá nhân", body), status, private=True)


def _email_channel(hub: Hub) -> str | None:
    return next((c.name for c in hub.registry if c.capabilities.sender_is_email_address), None)


async def page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    return _page(hub, form(email_enabled=_email_channel(hub) is not None))


def _tz(hub: Hub) -> ZoneInfo:
    return hub.pipeline.applier.calendar.timezone


async def _create(
    s: AsyncSession, hub: Hub, contact_id: int, kind: str, verification: str, text: str, email: str | None
) -> DataRequest:
    return await requests.create(
        s,
        contact_id=contact_id,
        kind=kind,
        channel=requests.WEB_FORM,
        now=hub.clock.now(),
        calendar=hub.pipeline.applier.calendar,
        deadlines=requests.Deadlines.from_env(hub.settings.env),
        verification=verification,
        text=text or None,
        email=email,
    )


async def submit(request: web.Request) -> web.Response:
    hub = hub_of(request)
    enabled = _email_channel(hub) is not None
    if not _same_origin(request):
        return _page(hub, form(error="Biểu mẫu phải được gửi từ chính trang này", email_enabled=enabled), 403)
    if (request.content_length or 0) > MAX_FORM:
        return _page(hub, form(error="Biểu mẫu quá lớn", email_enabled=enabled), 413)
    data = await request.post()
    field = {k: str(data.get(k) or "").strip() for k in ("method", "kind", "code", "phone", "email", "text")}
    field |= {"token": str(data.get("token") or "")[:64], "otp": str(data.get("otp") or "")[:6]}
    if field["method"] == "code":
        return await _with_code(request, hub, field["token"], field["otp"])
    if field["method"] == "status":
        return await _status(request, hub, str(data.get("reference") or "").strip()[:32], field, enabled)
    kind = field["kind"]
    if kind not in requests.KINDS:
        return _page(hub, form(error="Hãy chọn loại yêu cầu", email_enabled=enabled), 400)
    email = field["email"][:320] or None
    if email is not None and not EMAIL.fullmatch(email):
        return _page(hub, form(kind=kind, error="E-mail không hợp lệ", email_enabled=enabled), 400)
    if field["method"] == "email" and enabled and email:
        return await _send_code(hub, kind, email, field["text"][:2000])
    return await _with_ticket(request, hub, kind, field, email, enabled)


async def _with_ticket(
    request: web.Request, hub: Hub, kind: str, field: dict[str, str], email: str | None, enabled: bool
) -> web.Response:
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        out = await public_lookup(
            s, field["code"][:40], field["phone"][:10], client_ip(request), now, limits(hub)
        )
        if out.status is not None:
            ticket = (
                await s.execute(select(Ticket).where(Ticket.code == normalize_code(field["code"])))
            ).scalar_one()
            if ticket.contact_id is None:
                out_error = "Phiếu này không gắn với hồ sơ người dân nào"
            else:
                req = await _create(
                    s, hub, ticket.contact_id, kind, "ticket_phone", field["text"][:2000], email
                )
                return _page(hub, recorded(req, _tz(hub)))
        else:
            out_error = out.error or ""
    status = 400 if out.invalid else 403
    headers = {}
    if out.retry_at is not None:
        status = 429
        out_error += f". Hãy thử lại sau {out.retry_at.astimezone(_tz(hub)):%H:%M ngày %d/%m/%Y}."
        headers["Retry-After"] = str(max(1, int((out.retry_at - now).total_seconds())))
    response = _page(hub, form(kind=kind, error=out_error, email_enabled=enabled), status)
    response.headers.update(headers)
    return response


async def _status(
    request: web.Request, hub: Hub, reference: str, field: dict[str, str], enabled: bool
) -> web.Response:
    """A web-form request's status and answer, for the ticket code and phone digits it was
    verified with (the lookup's check and rate limit)."""
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        out = await public_lookup(
            s, field["code"][:40], field["phone"][:10], client_ip(request), now, limits(hub)
        )
        if out.status is not None:
            code = normalize_code(field["code"])
            contact_id = (await s.execute(select(Ticket.contact_id).where(Ticket.code == code))).scalar_one()
            q = select(DataRequest).where(
                DataRequest.reference == reference.upper(), DataRequest.contact_id == contact_id
            )
            req = (await s.execute(q)).scalar_one_or_none()
            if req is not None:
                return _page(hub, status_block(req, _tz(hub), await _copy_link(s, hub, req)) + STATUS_FORM)
            return _page(hub, form(error="Không tìm thấy yêu cầu với mã này", email_enabled=enabled), 404)
    status = 429 if out.retry_at is not None else 400 if out.invalid else 403
    return _page(hub, form(error=out.error, email_enabled=enabled), status)


async def _copy_link(s: AsyncSession, hub: Hub, req: DataRequest) -> str:
    """A fresh download link for an answered view/copy request, shown after the lookup's proof."""
    if req.kind not in ("view", "copy") or req.status != requests.ANSWERED:
        return ""
    token, expires = await copy_links.issue(
        s, req, hub.clock.now(), copy_links.LinkPolicy.from_env(hub.settings.env)
    )
    href = copy_links.PATH + token
    return (
        f'<p id="copy-link"><a href="{e(href)}">Tải bản sao dữ liệu (Excel, PDF, JSON)</a> — hiệu lực đến '
        f"{expires.astimezone(_tz(hub)):%H:%M ngày %d/%m/%Y}.</p>"
    )


async def _send_code(hub: Hub, kind: str, email: str, text: str) -> web.Response:
    """The same page whether the address is on record or not (no probing of addresses)."""
    now = hub.clock.now()
    channel = _email_channel(hub)
    assert channel is not None
    token = ""
    async with hub.sm() as s, s.begin():
        identity = await email_identity(s, channel, email)
        if identity is not None and await _recent_codes(s, identity.contact_id, now) < CODES_PER_HOUR:
            token, code = await requests.new_code(s, identity.contact_id, kind, now, text=text)
            await send_code(
                s,
                identity,
                f"Mã xác thực yêu cầu về dữ liệu cá nhân của anh/chị: {code} "
                f"(có hiệu lực {requests.CODE_MINUTES} phút). "
                "Nếu anh/chị không gửi yêu cầu, hãy bỏ qua thư này.",
                now,
            )
    if token:
        hub.wake_outbox()
    return _page(hub, code_form(token or requests.dead_token()))


async def _recent_codes(s: AsyncSession, contact_id: int, now: datetime) -> int:
    q = select(func.count(VerificationCode.id)).where(
        VerificationCode.subject_id == contact_id, VerificationCode.created_at > now - timedelta(hours=1)
    )
    return int((await s.execute(q)).scalar_one())


async def _with_code(request: web.Request, hub: Hub, token: str, otp: str) -> web.Response:
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        row = await requests.check_code(s, token, otp, now)
        if not isinstance(row, str):
            contact = await s.get(Contact, row.subject_id)
            email = contact.email if contact is not None else None
            req = await _create(s, hub, row.subject_id, row.kind, "email_code", row.text or "", email)
            req.email = req.email or await _identity_email(s, row.subject_id, _email_channel(hub))
            return _page(hub, recorded(req, _tz(hub)))
    return _page(hub, code_form(token, row), 403)


async def _identity_email(s: AsyncSession, contact_id: int, channel: str | None) -> str | None:
    q = select(ChannelIdentity.external_id).where(
        ChannelIdentity.contact_id == contact_id, ChannelIdentity.channel == (channel or "")
    )
    return (await s.execute(q.limit(1))).scalar_one_or_none()


def setup(app: web.Application, hub: Hub) -> None:
    """Add the routes to ``app``."""
    app.router.add_get(PATH.rstrip("/"), _to(PATH))
    app.router.add_get(PATH, _guard(page))
    app.router.add_post(PATH, _guard(submit))
