"""The records of requests (Điều 11.1) through the running hub: a bot answer from the FAQ, a
tapped suggestion and a refusal by the bot (no ticket), a refused ticket, a phone call with its
recording and a formula in the caller's name, and a ticket forwarded, updated and answered by
the agency, each at a known time. ``GET /console/api/records.xlsx`` is opened with openpyxl
and every column is checked; the roles see what they may."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
from openpyxl import load_workbook
from sqlalchemy import select

from bot.hub import HUB
from handoff.records import COLUMNS
from storage.models_console import Domain
from tests.console.conftest import agency_id_of, citizen_waiting
from tests.console.test_deadlines_app import vn
from tests.console.test_faq_learning import (
    CAMERA,
    FAQ,
    LOST,
    Citizen,
    console_app,  # noqa: F401  (the hub's default settings, FAQ polled every 0.2 s)
    number_of,
    with_faq,
)

OFF_TOPIC = "kể chuyện cười cho tôi nghe đi"
INJECTION = '=HYPERLINK("http://evil.test","bấm")'


async def _domain_id(app: Any, code: str) -> int:
    async with app[HUB].sm() as s:
        return int((await s.execute(select(Domain.id).where(Domain.code == code))).scalar_one())


async def _ticket(people: Any, op: Any, body: dict[str, Any]) -> tuple[int, int]:
    """A web chat conversation handed to staff and a ticket opened on it: (ticket, conversation)."""
    conv = await citizen_waiting(people, op)
    status, created = await op.post(f"/console/api/conversations/{conv}/tickets", body)
    assert status == 200, created
    return int(created["ticket"]["id"]), conv


async def _xlsx(who: Any, query: str) -> tuple[int, list[list[str]]]:
    async with who.http.get(who.base + "/console/api/records.xlsx" + query) as r:
        if r.status != 200:
            return r.status, []
        assert r.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        data = await r.read()
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    return 200, [["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]


async def test_records_export_every_column(people: Any, console_client: Any, console_clock: Any) -> None:
    app = console_client.app
    hub = app[HUB]
    base = hub.settings.public_url.rstrip("/")
    await with_faq(app)
    console_clock.set(vn(2027, 3, 2, 9, 0))  # Tuesday

    asker = await Citizen(console_client).start()
    answered = await asker.say(LOST)
    assert answered["act"] == "answer", answered
    console_clock.set(vn(2027, 3, 2, 9, 5))
    tapper = await Citizen(console_client).start()
    offered = await tapper.say(CAMERA)
    assert offered["act"] == "suggest", offered
    console_clock.set(vn(2027, 3, 2, 9, 6))
    tapped = await tapper.say(number_of(offered, FAQ[1].question))
    assert (tapped["act"], tapped["faq_id"]) == ("answer", "GT2")
    console_clock.set(vn(2027, 3, 2, 9, 10))
    joker = await Citizen(console_client).start()
    refused_by_bot = await joker.say(OFF_TOPIC)
    assert refused_by_bot["act"] == "refuse", refused_by_bot

    op = await people("op1")
    console_clock.set(vn(2027, 3, 2, 9, 20))
    refused_id, _ = await _ticket(
        people, op, {"content": "Hỏi giá vàng hôm nay", "full_name": "Trần Văn Bình"}
    )
    console_clock.set(vn(2027, 3, 2, 9, 25))
    status, body = await op.post(
        f"/console/api/tickets/{refused_id}/refuse", {"reason": "Ngoài phạm vi Điều 5"}
    )
    assert status == 200, body

    console_clock.set(vn(2027, 3, 2, 9, 30))
    form = aiohttp.FormData()
    for k, v in {
        "caller": INJECTION,
        "phone": "0912000111",
        "content": "Hỏi giờ làm việc của Sở Y tế",
        "answer": "Từ 7 giờ đến 17 giờ",
        "domain_id": str(await _domain_id(app, "y-te")),
    }.items():
        form.add_field(k, v)
    form.add_field("recording", b"RIFF....WAVEfmt ", filename="cuoc-goi.wav", content_type="audio/wav")
    async with op.http.post(
        op.base + "/console/api/calls", data=form, headers={"X-CSRF-Token": op.csrf}
    ) as r:
        assert r.status == 200, await r.text()
        call_id = int((await r.json())["ticket"]["id"])
    _, call = await op.get(f"/console/api/tickets/{call_id}")
    (recording,) = call["files"]

    console_clock.set(vn(2027, 3, 2, 10, 0))
    fwd_id, fwd_conv = await _ticket(
        people,
        op,
        {
            "content": "Lịch tiêm chủng cho trẻ ở phường Điện Biên?",
            "full_name": "Nguyễn Thị Hoa",
            "phone": "0987654321",
            "email": "hoa@example.vn",
            "address": "12 Lê Lợi, Thanh Hóa",
            "domain_id": await _domain_id(app, "y-te"),
        },
    )
    console_clock.set(vn(2027, 3, 2, 10, 5))
    status, body = await op.post(
        f"/console/api/tickets/{fwd_id}/forward", {"agency_id": await agency_id_of(app, "so-yte")}
    )
    assert status == 200, body
    console_clock.set(vn(2027, 3, 3, 11, 0))  # past the 8 working hours (Wednesday 10:05)
    yte = await people("yte1")
    status, body = await yte.post(
        f"/console/api/tickets/{fwd_id}/progress",
        {"text": "Đang xác minh với trạm y tế", "appointment_at": "2027-03-04T09:00:00"},
    )
    assert status == 200, body
    console_clock.set(vn(2027, 3, 3, 15, 0))
    status, body = await yte.post(f"/console/api/tickets/{fwd_id}/answer", {"text": "Thứ Sáu hằng tuần"})
    assert status == 200, body

    console_clock.set(vn(2027, 3, 5, 9, 0))
    sv = await people("sv1")
    status, rows = await _xlsx(sv, "?from=2027-03-01&to=2027-03-31")
    assert status == 200
    assert tuple(rows[0]) == COLUMNS
    by_content = {r[COLUMNS.index("Nội dung")]: dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    assert len(rows) == 1 + 3 + 3, rows  # the header, 3 requests the bot settled, 3 tickets

    bot = by_content[LOST]
    assert bot["Kênh"] == "Trò chuyện trên Web" and bot["Thời điểm tiếp nhận"] == "02/03/2027 09:00"
    assert bot["Cán bộ xử lý"] == "Trợ lý ảo" and bot["Kết quả xử lý"] == "Trợ lý ảo trả lời"
    assert bot["Nội dung trả lời"] == answered["text"] and bot["Thời điểm trả lời"] == "02/03/2027 09:00"
    assert bot["Mã phiếu"] == "" and bot["Thời điểm chuyển đơn vị"] == "" and bot["Tệp ghi âm"] == ""
    assert bot["Hội thoại"] == f"{base}/console/#conversation={asker.conversation_id}"

    sug = by_content[CAMERA]  # the question the suggestions were for, not the tapped number
    assert sug["Kết quả xử lý"] == "Trợ lý ảo trả lời qua câu gợi ý"
    assert sug["Thời điểm tiếp nhận"] == "02/03/2027 09:05" and sug["Thời điểm trả lời"] == "02/03/2027 09:06"
    assert sug["Lĩnh vực"] == FAQ[1].domain and sug["Đơn vị xử lý"] == FAQ[1].agency

    joke = by_content[OFF_TOPIC]
    assert joke["Kết quả xử lý"] == "Trợ lý ảo từ chối (ngoài phạm vi)"
    assert joke["Thời điểm trả lời"] == "02/03/2027 09:10"

    ref = by_content["Hỏi giá vàng hôm nay"]
    assert ref["Họ tên"] == "Trần Văn Bình" and ref["Mã phiếu"].startswith("1022-2027-")
    assert ref["Kết quả xử lý"] == "Từ chối: Ngoài phạm vi Điều 5"
    assert ref["Thời điểm tiếp nhận"] == "02/03/2027 09:20" and ref["Thời điểm trả lời"] == "02/03/2027 09:25"

    phone = by_content["Hỏi giờ làm việc của Sở Y tế"]
    assert phone["Họ tên"] == "'" + INJECTION  # neutralised: text, never a formula
    assert phone["Điện thoại"] == "0912000111" and phone["Kênh"] == "Điện thoại"
    assert phone["Lĩnh vực"] == "Cấp cứu, y tế, điều trị, xét nghiệm, tiêm chủng"
    assert phone["Nội dung trả lời"] == "Từ 7 giờ đến 17 giờ" and phone["Cán bộ xử lý"] == "Cán bộ op1"
    assert (
        phone["Kết quả xử lý"] == "Cán bộ trực trả lời" and phone["Thời điểm trả lời"] == "02/03/2027 09:30"
    )
    assert phone["Tệp ghi âm"] == f"{base}/console/api/tickets/{call_id}/files/{recording['id']}"
    assert phone["Hội thoại"] == ""

    fwd = by_content["Lịch tiêm chủng cho trẻ ở phường Điện Biên?"]
    assert (fwd["Họ tên"], fwd["Điện thoại"], fwd["Thư điện tử"], fwd["Địa chỉ"]) == (
        "Nguyễn Thị Hoa",
        "0987654321",
        "hoa@example.vn",
        "12 Lê Lợi, Thanh Hóa",
    )
    assert fwd["Đơn vị xử lý"] == "Sở Y tế" and fwd["Cán bộ xử lý"] == "Cán bộ yte1"
    assert fwd["Thời điểm tiếp nhận"] == "02/03/2027 10:00"
    assert fwd["Thời điểm chuyển đơn vị"] == "02/03/2027 10:05" and fwd["Hạn trả lời"] == "03/03/2027 10:05"
    assert fwd["Số lần cập nhật tiến độ"] == "1"
    assert (
        fwd["Cập nhật tiến độ gần nhất"]
        == "03/03/2027 11:00: Đang xác minh với trạm y tế (hẹn 04/03/2027 09:00)"
    )
    assert fwd["Nội dung trả lời"] == "Thứ Sáu hằng tuần" and fwd["Thời điểm trả lời"] == "03/03/2027 15:00"
    assert fwd["Kết quả xử lý"] == "Chuyển đơn vị, đã trả lời"
    assert fwd["Hội thoại"] == f"{base}/console/#conversation={fwd_conv}"

    # the same rows as CSV
    async with sv.http.get(sv.base + "/console/api/records.csv?from=2027-03-01&to=2027-03-31") as r:
        assert r.status == 200
        text = (await r.read()).decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(COLUMNS) and "'" + INJECTION.replace('"', '""') in text

    # filters and roles
    yte = await people("yte1")  # a new day: log in again (12 h idle expiry)
    assert (await _xlsx(sv, "?from=2027-04-01&to=2027-04-30"))[1][1:] == []
    status, own = await _xlsx(
        yte, "?from=2027-03-01&to=2027-03-31&agency=" + str(await agency_id_of(app, "so-gtvt"))
    )
    assert status == 200 and [r[COLUMNS.index("Mã phiếu")] for r in own[1:]] == [fwd["Mã phiếu"]]
    status, by_domain = await _xlsx(sv, "?domain=" + str(await _domain_id(app, "y-te")))
    assert sorted(r[COLUMNS.index("Nội dung")] for r in by_domain[1:]) == sorted(
        ["Hỏi giờ làm việc của Sở Y tế", "Lịch tiêm chủng cho trẻ ở phường Điện Biên?"]
    )
    assert (await _xlsx(await people("op1"), ""))[0] == 403
    assert (await _xlsx(await people(), ""))[0] == 401
    assert (await _xlsx(await people("admin1"), ""))[0] == 200
    _, audit = await sv.get("/console/api/audit")
    assert any(e["action_label"] == "xuất hồ sơ yêu cầu (Điều 11.1)" for e in audit["entries"])
