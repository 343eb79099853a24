"""send() and fetch_profile() against the simulator: splitting, uploads, token rotation, faults."""

from __future__ import annotations

import asyncio
import base64
import json
from contextlib import AbstractAsyncContextManager
from itertools import count

import pytest

from connectors.base import (
    Attachment,
    AuthExpired,
    ChannelNotConfigured,
    OutboundMessage,
    PermanentSendError,
    RateLimited,
    TransientSendError,
)
from connectors.registry import ConnectorContext, ConnectorRegistry
from connectors.zalo import ZaloConnector, create
from connectors.zalo.errors import ZaloAPIError
from connectors.zalo.tokens import TokenPair
from devtools.clock import FakeClock
from devtools.zalo import Fault, ZaloSimulator
from tests.connectors.fakestate import MemoryStateStore
from tests.connectors.zalo.conftest import USER_ID, MakeConnector

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
_ids = count(1)

SENTENCE = "Công dân cần mang căn cước công dân và tờ khai CT01 đến Công an phường để đăng ký tạm trú. "


def outbound(
    text: str = "Xin chào anh/chị", *, attachments: tuple[Attachment, ...] = (), mid: int | None = None
) -> OutboundMessage:
    return OutboundMessage(
        channel="zalo",
        external_user_id=USER_ID,
        text=text,
        message_id=mid if mid is not None else next(_ids),
        conversation_id=1,
        attachments=attachments,
    )


def stored_pair(store: MemoryStateStore) -> TokenPair:
    return TokenPair.decode(store.values["zalo:oa_tokens"])


# --------------------------------------------------------------------------- text


async def test_short_text(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    result = await connector.send(outbound("Chào anh/chị, Tổng đài 1022 xin nghe."))
    assert [s.text for s in sim.sent] == ["Chào anh/chị, Tổng đài 1022 xin nghe."]
    assert result.channel_message_ids == (sim.sent[0].message_id,)
    assert sim.sent[0].user_id == USER_ID


async def test_long_text_is_split_on_sentences_and_all_ids_returned(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    text = SENTENCE * 60  # ~5,500 characters
    result = await connector.send(outbound(text))
    parts = [s.text for s in sim.sent]
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts)  # cut after a sentence, never mid-word
    assert " ".join(parts).split() == text.split()
    assert result.channel_message_ids == tuple(s.message_id for s in sim.sent)


async def test_long_text_without_sentences_is_split_between_words(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    words = [f"từ{i}" for i in range(1200)]
    await connector.send(outbound(" ".join(words)))
    parts = [s.text for s in sim.sent]
    assert len(parts) >= 3 and all(len(p) <= 2000 for p in parts)
    assert [w for p in parts for w in p.split()] == words


# --------------------------------------------------------------------------- attachments


async def test_image_is_uploaded_then_sent_by_attachment_id(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    image = Attachment(kind="image", data=PNG, mime_type="image/png", name="so-do.png")
    result = await connector.send(outbound("Sơ đồ nơi nộp hồ sơ:", attachments=(image,)))
    assert len(sim.sent) == 2 and len(result.channel_message_ids) == 2
    (upload,) = sim.uploads.values()
    assert (upload.kind, upload.filename, upload.content) == ("image", "so-do.png", PNG)
    element = sim.sent[1].message["attachment"]["payload"]["elements"][0]
    assert element == {"media_type": "image", "attachment_id": upload.key}


async def test_pdf_is_uploaded_then_sent_by_token(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    pdf = Attachment(kind="file", data=b"%PDF-1.4 mau CT01", mime_type="application/pdf", name="mau-ct01.pdf")
    await connector.send(outbound("", attachments=(pdf,)))
    (upload,) = sim.uploads.values()
    assert upload.kind == "file" and upload.content == b"%PDF-1.4 mau CT01"
    assert sim.sent[0].message == {"attachment": {"type": "file", "payload": {"token": upload.key}}}


async def test_image_by_url_and_file_by_url(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    image = Attachment(kind="image", url="https://1022.thanhhoa.gov.vn/anh.png")
    doc = Attachment(kind="file", url="https://1022.thanhhoa.gov.vn/mau.xlsx", name="Mẫu kê khai")
    await connector.send(outbound("", attachments=(image, doc)))
    assert sim.sent[0].message["attachment"]["payload"]["elements"][0]["url"] == image.url
    assert sim.sent[1].text == "Mẫu kê khai: https://1022.thanhhoa.gov.vn/mau.xlsx"
    assert sim.uploads == {}


async def test_type_from_name_or_content_when_not_declared(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    png = Attachment(kind="image", data=PNG)  # no name, no type: the PNG signature tells
    pdf = Attachment(kind="file", data=b"%PDF-1.7 ...", name="Huong dan.pdf")
    await connector.send(outbound("", attachments=(png, pdf)))
    kinds = sorted((u.kind, u.content_type) for u in sim.uploads.values())
    assert kinds == [("file", "application/pdf"), ("image", "image/png")]


async def test_attachment_without_content_or_link_is_refused(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    with pytest.raises(PermanentSendError, match="không có nội dung"):
        await connector.send(outbound("Kèm", attachments=(Attachment(kind="file", name="mat.pdf"),)))
    assert sim.sent == []


@pytest.mark.parametrize(
    ("attachment", "reason"),
    [
        (
            Attachment(kind="image", data=b"x" * (1024 * 1024 + 1), mime_type="image/png", name="to.png"),
            "1 MB",
        ),
        (
            Attachment(kind="file", data=b"PK..", mime_type="application/vnd.ms-excel", name="bang.xls"),
            "PDF/DOC",
        ),
    ],
)
async def test_attachments_zalo_refuses_fail_before_anything_is_sent(
    sim: ZaloSimulator, connector: ZaloConnector, attachment: Attachment, reason: str
) -> None:
    with pytest.raises(PermanentSendError, match=reason):
        await connector.send(outbound("Kèm tệp", attachments=(attachment,)))
    assert sim.sent == [] and sim.uploads == {}


async def test_empty_message_is_refused(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    with pytest.raises(PermanentSendError, match="rỗng"):
        await connector.send(outbound("   "))


# --------------------------------------------------------------------------- tokens


async def test_expired_token_refreshes_once_and_stores_the_rotated_pair(
    sim: ZaloSimulator, connector: ZaloConnector, store: MemoryStateStore
) -> None:
    first_refresh = sim.refresh_token
    sim.expire_access_token()
    await connector.send(outbound("Sau khi làm mới token"))
    assert sim.refresh_calls == 1
    assert first_refresh in sim.spent_refresh_tokens
    pair = stored_pair(store)
    assert pair.refresh_token == sim.refresh_token != first_refresh  # the NEW refresh token is kept
    assert pair.access_token in sim.access_tokens
    assert pair.expires_at is not None
    assert sim.sent[0].access_token == pair.access_token
    await connector.send(outbound("Lần gửi sau dùng token mới"))
    assert sim.refresh_calls == 1


async def test_other_worker_uses_the_stored_pair_not_the_stale_settings(
    sim: ZaloSimulator, make_connector: MakeConnector, store: MemoryStateStore
) -> None:
    worker_a = make_connector()
    stale_settings = sim.settings()
    sim.expire_access_token()
    await worker_a.send(outbound("A"))
    worker_b = make_connector(
        access_token=stale_settings["access_token"], refresh_token=stale_settings["refresh_token"]
    )
    await worker_b.send(outbound("B"))
    assert sim.refresh_calls == 1 and len(sim.sent) == 2
    sim.expire_access_token()
    await worker_b.send(outbound("C"))  # B refreshes with the rotated token from the store
    assert sim.refresh_calls == 2 and stored_pair(store).refresh_token == sim.refresh_token


async def test_concurrent_sends_in_two_workers_trigger_one_refresh(
    sim: ZaloSimulator, make_connector: MakeConnector
) -> None:
    workers = [make_connector(), make_connector()]
    await workers[0].send(outbound("khởi tạo"))  # seed the stored pair
    sim.expire_access_token()
    results = await asyncio.gather(*(workers[i % 2].send(outbound(f"Tin {i}")) for i in range(20)))
    assert sim.refresh_calls == 1
    assert len(sim.sent) == 21 and all(len(r.channel_message_ids) == 1 for r in results)


async def test_scripted_minus_216_refreshes_and_retries(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    sim.script(Fault.expired_token())
    result = await connector.send(outbound("Thử lại sau -216"))
    assert sim.refresh_calls == 1 and len(result.channel_message_ids) == 1


async def test_spent_refresh_token_is_auth_expired_chained(
    sim: ZaloSimulator, make_connector: MakeConnector
) -> None:
    connector = make_connector(refresh_token="sim-refresh-already-used")
    sim.expire_access_token()
    with pytest.raises(AuthExpired, match="cấp quyền lại") as info:
        await connector.send(outbound("Không gửi được"))
    assert isinstance(info.value.__cause__, ZaloAPIError) and info.value.__cause__.code == -14014
    assert info.value.retryable is True and sim.sent == []


async def test_token_refused_again_after_refresh_is_auth_expired(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    sim.script(Fault.expired_token(), Fault.expired_token())
    with pytest.raises(AuthExpired) as info:
        await connector.send(outbound("x"))
    assert sim.refresh_calls == 1 and info.value.code == -216


async def test_refresh_happens_before_the_known_expiry(
    sim: ZaloSimulator, connector: ZaloConnector, clock: FakeClock
) -> None:
    sim.expire_access_token()
    await connector.send(outbound("1"))  # refresh #1; Zalo says the token lives 90,000 s
    clock.advance(90000 - 100)
    await connector.send(outbound("2"))
    assert sim.refresh_calls == 2
    assert [o for _, o in sim.requests].count("-216") == 1  # the second refresh was proactive


async def test_failed_early_refresh_keeps_using_the_still_valid_token(
    sim: ZaloSimulator, connector: ZaloConnector, clock: FakeClock
) -> None:
    sim.expire_access_token()
    await connector.send(outbound("1"))  # refresh #1: expires_at is now known
    clock.advance(90000 - 100)  # inside the 5-minute margin, not yet expired
    sim.script(Fault.http(503, endpoint="oauth"))
    await connector.send(outbound("2"))
    assert sim.refresh_calls == 1 and len(sim.sent) == 2  # OAuth was down: sent with the old token
    clock.advance(200)  # now really expired, and OAuth is down again
    sim.script(Fault.http(503, endpoint="oauth"))
    with pytest.raises(AuthExpired):
        await connector.send(outbound("3"))


# --------------------------------------------------------------------------- faults


async def test_rate_limit_minus_32(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    sim.script(Fault.rate_limited())
    with pytest.raises(RateLimited) as info:
        await connector.send(outbound("x"))
    assert info.value.retry_after == 60 and info.value.code == -32
    assert isinstance(info.value.__cause__, ZaloAPIError)


async def test_http_429_uses_retry_after(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    sim.script(Fault.http(429, retry_after=7))
    with pytest.raises(RateLimited) as info:
        await connector.send(outbound("x"))
    assert info.value.retry_after == 7 and info.value.code == 429


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_transient(sim: ZaloSimulator, connector: ZaloConnector, status: int) -> None:
    sim.script(Fault.http(status))
    with pytest.raises(TransientSendError) as info:
        await connector.send(outbound("x"))
    assert not isinstance(info.value, RateLimited) and info.value.code == status and info.value.retryable


async def test_hang_is_a_transient_timeout(sim: ZaloSimulator, make_connector: MakeConnector) -> None:
    connector = make_connector(timeout="0.3")
    sim.script(Fault.hang(30))
    with pytest.raises(TransientSendError) as info:
        await connector.send(outbound("x"))
    assert info.value.code == "timeout" and isinstance(info.value.__cause__, TimeoutError)


async def test_connection_refused_is_transient(make_connector: MakeConnector) -> None:
    connector = make_connector(api_base="http://127.0.0.1:9")
    with pytest.raises(TransientSendError) as info:
        await connector.send(outbound("x"))
    assert info.value.code == "network"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.not_interacted(), "chưa tương tác với OA trong 7 ngày"),
        (Fault.not_follower(), "chưa quan tâm OA"),
    ],
)
async def test_user_outside_window_or_not_following_is_permanent(
    sim: ZaloSimulator, connector: ZaloConnector, fault: Fault, reason: str
) -> None:
    sim.script(fault)
    with pytest.raises(PermanentSendError, match=reason) as info:
        await connector.send(outbound("x"))
    assert info.value.retryable is False and info.value.code == fault.code
    assert "kênh khác" in info.value.reason
    assert isinstance(info.value.__cause__, ZaloAPIError) and info.value.__cause__.code == fault.code


async def test_unfollowed_user_in_simulator_gives_minus_213(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    sim.users[USER_ID].follower = False
    with pytest.raises(PermanentSendError) as info:
        await connector.send(outbound("x"))
    assert info.value.code == -213


async def test_retry_after_partial_failure_sends_only_the_rest(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    message = outbound(SENTENCE * 60, mid=777)
    sim.script(Fault("zalo", -32, after=1))  # part 1 goes out, part 2 is rate limited
    with pytest.raises(RateLimited):
        await connector.send(message)
    assert len(sim.sent) == 1
    result = await connector.send(message)  # the outbox retries the same hub message
    assert len(sim.sent) == 3
    assert result.channel_message_ids == tuple(s.message_id for s in sim.sent)


# --------------------------------------------------------------------------- profile and settings


async def test_fetch_profile(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    sim.expire_access_token()  # first contact right after the token expired
    profile = await connector.fetch_profile(USER_ID)
    assert profile is not None
    assert profile.display_name == "Lê Thị Mai" and profile.phone == "0912345678"
    assert profile.extra["user_is_follower"] is True
    assert profile.avatar_url and USER_ID in profile.avatar_url
    assert await connector.fetch_profile("1234567890123456789") is None
    assert sim.refresh_calls == 1


async def test_missing_settings_disable_the_channel_with_the_variables_named(
    sim: ZaloSimulator, store: MemoryStateStore, clock: FakeClock
) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        settings = dict(sim.settings(), app_secret="", refresh_token="  ")
        with pytest.raises(ChannelNotConfigured, match=r"ZALO_APP_SECRET.*ZALO_REFRESH_TOKEN"):
            create(ConnectorContext(session=session, state=store, settings=settings, clock=clock))
        registry = ConnectorRegistry.build(
            {"zalo": {"app_id": ""}},
            lambda name, section: ConnectorContext(
                session=session, state=store, settings=section, clock=clock
            ),
        )
        assert "zalo" not in registry and "ZALO_APP_ID" in registry.disabled["zalo"]
        with pytest.raises(ChannelNotConfigured, match="timeout"):
            create(
                ConnectorContext(
                    session=session, state=store, settings=dict(sim.settings(), timeout="x"), clock=clock
                )
            )


async def test_progress_is_recorded_only_for_multi_part_messages(
    store: MemoryStateStore, sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    await connector.send(outbound("một", mid=4242))
    assert "zalo:sent:4242" not in store.values
    image = Attachment(kind="image", url="https://1022.thanhhoa.gov.vn/anh.png")
    await connector.send(outbound("hai phần", attachments=(image,), mid=4243))
    assert json.loads(store.values["zalo:sent:4243"]) == [s.message_id for s in sim.sent[1:]]


async def test_unreadable_progress_record_is_ignored(
    store: MemoryStateStore, sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    store.values["zalo:sent:4244"] = "{không phải json"
    await connector.send(outbound(SENTENCE * 30, mid=4244))
    assert len(sim.sent) == 2


class RotatedByAnotherWorker(MemoryStateStore):
    """Between our read and our lock, "another worker" stores a freshly rotated pair."""

    def __init__(self, clock: FakeClock, rotated: TokenPair) -> None:
        super().__init__(clock)
        self.rotated = rotated

    def lock(self, name: str, *, timeout: float = 30.0) -> AbstractAsyncContextManager[bool]:
        self.values["zalo:oa_tokens"] = self.rotated.encode()
        return super().lock(name, timeout=timeout)


async def test_pair_is_reread_under_the_lock(
    sim: ZaloSimulator, make_connector: MakeConnector, clock: FakeClock
) -> None:
    stale = sim.settings()
    sim.expire_access_token()
    sim.access_tokens.add("rotated-elsewhere")
    store = RotatedByAnotherWorker(clock, TokenPair("rotated-elsewhere", "refresh-elsewhere"))
    connector = make_connector(state=store, access_token=stale["access_token"])
    await connector.send(outbound("x"))
    assert sim.refresh_calls == 0  # we did not spend a refresh token: the other worker's pair was used
    assert sim.sent[0].access_token == "rotated-elsewhere"


class BusyLock(MemoryStateStore):
    """The refresh lock is held by another worker that stores its new pair after a while."""

    def __init__(self, clock: FakeClock, sim: ZaloSimulator) -> None:
        super().__init__(clock)
        self.sim = sim
        self.attempts = 0

    def lock(self, name: str, *, timeout: float = 30.0) -> AbstractAsyncContextManager[bool]:
        self.attempts += 1
        if self.attempts == 3:  # the other worker finishes its refresh
            self.sim.access_tokens.add("from-the-other-worker")
            self.values["zalo:oa_tokens"] = TokenPair("from-the-other-worker", "r2").encode()
        self.locks[name] = (object(), self.clock() + 60)  # held by someone else
        return super().lock(name, timeout=timeout)


async def test_waits_for_the_worker_holding_the_lock(
    sim: ZaloSimulator, make_connector: MakeConnector, clock: FakeClock
) -> None:
    store = BusyLock(clock, sim)
    connector = make_connector(state=store)
    sim.expire_access_token()
    await connector.send(outbound("x"))
    assert sim.refresh_calls == 0 and store.attempts == 3
    assert sim.sent[0].access_token == "from-the-other-worker"
