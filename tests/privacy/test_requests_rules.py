"""Data requests without the hub: the phrases the bot recognises (never a message of the
dev conversations), the Decree 356 deadlines in working days on the project's calendar
around Tết 2027, the one extension, and the public form's one-time codes (hashed, wrong
ones counted, dead after too many) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from handoff.calendar import default_calendar
from privacy import copy_links, requests
from privacy.anonymise import anonymise_profile
from privacy.anonymise_tables import AnonymiseCounts
from privacy.request_words import data_request
from privacy.restriction import restrict
from storage.models import Contact
from storage.models_privacy import DataCopyLink, DataRequest, VerificationCode
from storage.session import SessionMaker

REQUESTS = {
    "view": ["Tôi muốn xem dữ liệu cá nhân của tôi", "cho minh xem thong tin ca nhan voi ad", "xem dlcn"],
    "copy": [
        "cho tôi bản sao dữ liệu cá nhân",
        "Xin gửi em bản sao thông tin cá nhân ạ",
        "xuất dữ liệu của tôi",
    ],
    "correct": [
        "sửa thông tin cá nhân",
        "Cập nhật lại thông tin cá nhân giúp tôi",
        "dinh chinh du lieu ca nhan",
    ],
    "delete": [
        "Yêu cầu xoá toàn bộ dữ liệu cá nhân của tôi",
        "xoa du lieu ca nhan cua minh nhe ad",
        "xóa thông tin của tôi mà tổng đài đang lưu",
    ],
    "restrict": ["hạn chế xử lý dữ liệu cá nhân", "ngừng xử lý dữ liệu của tôi", "HẠN CHẾ XỬ LÝ DỮ LIỆU"],
    "object": ["tôi phản đối việc xử lý dữ liệu cá nhân", "ko dong y su dung du lieu ca nhan"],
    "withdraw_consent": ["rút lại sự đồng ý", "Tôi rút lại sự đồng ý xử lý dữ liệu cá nhân"],
}
NEITHER = [
    "xem thông tin thủ tục cấp căn cước",
    "xem thông tin",
    "làm sao xoá dữ liệu cá nhân trên điện thoại bị mất?",
    "xoá",
    "bản sao",
    "bạn sao rồi",
    "dừng nhận tin",
    "hủy đăng ký",
    "Tôi muốn phản ánh việc công ty lộ dữ liệu cá nhân của khách hàng ra ngoài, bán cho bên thứ ba",
    "sửa đường",
    "xem dữ liệu cá nhân " * 30,
]


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, ts in REQUESTS.items() for t in ts])
def test_requests_are_recognised(kind: str, text: str) -> None:
    assert data_request(text) == kind


@pytest.mark.parametrize("text", NEITHER)
def test_other_messages_are_not_requests(text: str) -> None:
    assert data_request(text) is None


# Thursday 28 January 2027, 10:00 in Việt Nam; Tết: 5-11 February 2027 are days off
BEFORE_TET = dt.datetime(2027, 1, 28, 3, 0, tzinfo=dt.UTC)
LOCAL = dt.timezone(dt.timedelta(hours=7))


def _day(when: dt.datetime) -> dt.date:
    return when.astimezone(LOCAL).date()


def test_deadlines_in_working_days_across_tet() -> None:
    cal, days = default_calendar(), requests.Deadlines()
    assert _day(requests.deadline(cal, BEFORE_TET, days.days["ack"])) == dt.date(2027, 2, 1)  # Fri 29, Mon 1
    assert _day(requests.deadline(cal, BEFORE_TET, days.days["view"])) == dt.date(2027, 2, 18)
    assert _day(requests.deadline(cal, BEFORE_TET, days.days["restrict"])) == dt.date(2027, 2, 25)
    assert _day(requests.deadline(cal, BEFORE_TET, days.days["delete"])) == dt.date(2027, 3, 4)
    end = requests.deadline(cal, BEFORE_TET, 10)
    assert end.astimezone(LOCAL).time() == dt.time(23, 59, 59)
    # 30/4 and 1/5 2027 (Friday, Saturday; Monday 3 May in lieu): a request on Wed 28 April
    april = dt.datetime(2027, 4, 28, 3, 0, tzinfo=dt.UTC)
    assert _day(requests.deadline(cal, april, 2)) == dt.date(2027, 5, 4)


def test_deadlines_are_settings() -> None:
    d = requests.Deadlines.from_env({"HUB_DATA_REQUEST_DAYS_DELETE": "30"})
    assert d.days["delete"] == 30 and d.days["view"] == 10
    with pytest.raises(ValueError, match="HUB_DATA_REQUEST_DAYS_VIEW"):
        requests.Deadlines.from_env({"HUB_DATA_REQUEST_DAYS_VIEW": "mười"})


async def test_the_bots_deadlines_come_from_the_hubs_settings(hub_settings: Settings) -> None:
    """A value of HUB_SETTINGS_FILE reaches the bot's acknowledgement (not only os.environ)."""
    app = await create_app(replace(hub_settings, env={"HUB_DATA_REQUEST_DAYS_VIEW": "3"}), run_workers=False)
    try:
        assert app[HUB].pipeline.data_requests.deadlines.days["view"] == 3
    finally:
        await app[HUB].http.close()
        await app[HUB].db.dispose()


async def _contact(sm: SessionMaker, now: dt.datetime) -> int:
    async with sm() as s, s.begin():
        c = Contact(full_name="Trần Văn Bình", created_at=now, updated_at=now)
        s.add(c)
        await s.flush()
        return c.id


async def test_request_states_and_the_one_extension(sm: SessionMaker) -> None:
    cal, days = default_calendar(), requests.Deadlines()
    contact_id = await _contact(sm, BEFORE_TET)
    async with sm() as s, s.begin():
        req = await requests.create(
            s,
            contact_id=contact_id,
            kind="view",
            channel=requests.WEB_FORM,
            now=BEFORE_TET,
            calendar=cal,
            deadlines=days,
            verification="ticket_phone",
            acknowledged=False,
        )
        assert req.reference == f"YCDL-2027-{req.id:06d}" and req.status == "received"
        late = dt.datetime(2027, 2, 2, 3, 0, tzinfo=dt.UTC)
        assert requests.ack_late(req, late) and not requests.is_late(req, late)
        requests.acknowledge(req, late, "sv1")
        with pytest.raises(requests.RequestError, match="lý do"):
            requests.extend(req, late, " ", "sv1", cal, days)
        requests.extend(req, late, "Cần tra cứu hồ sơ lưu trữ", "sv1", cal, days)
        assert _day(requests.due(req)) == dt.date(2027, 3, 4)  # 18/02 + 10 working days
        with pytest.raises(requests.RequestError, match="một lần"):
            requests.extend(req, late, "lần nữa", "sv1", cal, days)
        after = dt.datetime(2027, 3, 5, 3, 0, tzinfo=dt.UTC)
        assert requests.is_late(req, after) and requests.as_dict(req, after)["late"]
        requests.answer(req, after, "Đã trả lời", "sv1")
        assert not requests.is_late(req, after)
        with pytest.raises(requests.RequestError):
            requests.refuse(req, after, "x", "y", "sv1")


async def test_one_time_codes_are_hashed_counted_and_expire(sm: SessionMaker) -> None:
    now = BEFORE_TET
    contact_id = await _contact(sm, now)
    async with sm() as s, s.begin():
        token, code = await requests.new_code(s, contact_id, "delete", now, text="xoá hết")
    async with sm() as s:
        row = (await s.execute(select(VerificationCode))).scalar_one()
        assert code not in row.code_hash and row.text == "xoá hết"
    wrong = "000000" if code != "000000" else "111111"
    for n in range(requests.CODE_ATTEMPTS):
        async with sm() as s, s.begin():
            assert await requests.check_code(s, token, wrong, now) == "Mã xác thực không đúng"
        async with sm() as s:
            assert (await s.execute(select(VerificationCode.attempts))).scalar_one() == n + 1
    async with sm() as s, s.begin():  # the right code, too late: too many wrong ones
        assert "quá nhiều" in str(await requests.check_code(s, token, code, now))
    async with sm() as s, s.begin():
        token, code = await requests.new_code(s, contact_id, "delete", now)
    async with sm() as s, s.begin():
        later = now + dt.timedelta(minutes=requests.CODE_MINUTES + 1)
        assert "hết hạn" in str(await requests.check_code(s, token, code, later))
    async with sm() as s, s.begin():
        row2 = await requests.check_code(s, token, code, now)
        assert isinstance(row2, VerificationCode) and row2.subject_id == contact_id
    async with sm() as s, s.begin():
        assert "không còn hiệu lực" in str(await requests.check_code(s, token, code, now))  # used once


async def test_scrub_and_expire_for_anonymisation_and_retention(sm: SessionMaker) -> None:
    cal, days, now = default_calendar(), requests.Deadlines(), BEFORE_TET
    contact_id = await _contact(sm, now)
    async with sm() as s, s.begin():
        kept, old = [
            await requests.create(
                s,
                contact_id=contact_id,
                kind=kind,
                channel=requests.WEB_FORM,
                now=now,
                calendar=cal,
                deadlines=days,
                verification="email_code",
                text="Tôi là Trần Văn Bình",
                email="binh@example.vn",
            )
            for kind in ("restrict", "view")
        ]
        for req in (kept, old):
            requests.answer(req, now, "Đã trả lời anh Bình", "sv1")
        await restrict(s, contact_id, "restrict", now, request_id=kept.id)
        await requests.new_code(s, contact_id, "copy", now)
        await copy_links.issue(s, old, now, copy_links.LinkPolicy())
    async with sm() as s, s.begin():
        assert await requests.scrub_contact(s, [contact_id]) == 2
    async with sm() as s:
        rows = list((await s.execute(select(DataRequest))).scalars())
        assert [(r.text, r.email, r.answer) for r in rows] == [(None, None, None)] * 2
        assert (await s.execute(select(VerificationCode))).first() is None
        assert (await s.execute(select(DataCopyLink))).first() is None  # the copy links go too
    async with sm() as s, s.begin():  # a link of the request the retention job deletes goes with it
        await copy_links.issue(s, await s.get(DataRequest, old.id), now, copy_links.LinkPolicy())
    async with sm() as s, s.begin():
        later = now + dt.timedelta(days=6 * 366)
        assert await requests.expire(s, later - dt.timedelta(days=5 * 365), later) == 1
    async with sm() as s:
        left = list((await s.execute(select(DataRequest.id))).scalars())
        assert left == [kept.id]  # named by the restriction: kept
        assert (await s.execute(select(DataCopyLink))).first() is None
    async with sm() as s, s.begin():  # the retention job anonymises a profile with nothing left
        await copy_links.issue(s, await s.get(DataRequest, kept.id), now, copy_links.LinkPolicy())
    async with sm() as s, s.begin():
        await anonymise_profile(s, contact_id, now, reason="retention", counts=AnonymiseCounts())
    async with sm() as s:
        assert (await s.execute(select(DataCopyLink))).first() is None
