"""ZALO_UTC_OFFSET: the local time of Zalo's 06:00-22:00 promotion window, read and used."""

from __future__ import annotations

import pytest

from connectors.base import ChannelNotConfigured
from connectors.broadcast import Promotion, RetryLater, broadcaster_of
from devtools.clock import FakeClock
from devtools.zalo import ZaloSimulator
from tests.connectors.zalo.conftest import USER_ID, MakeConnector

HOUR = 3600.0


async def test_night_wait_is_counted_in_the_configured_zone(
    sim: ZaloSimulator, make_connector: MakeConnector, clock: FakeClock
) -> None:
    sim.utc_offset_hours = 0  # a Zalo on UTC, and a hub told so
    broadcaster = broadcaster_of(make_connector(utc_offset="0"))
    assert broadcaster is not None
    clock.seconds = (clock() // 86400) * 86400 + 23 * HOUR  # 23:00 UTC
    with pytest.raises(RetryLater) as caught:
        await broadcaster.send_promotion(USER_ID, Promotion("Thông báo"))
    assert caught.value.reason == "night_time" and caught.value.retry_after == pytest.approx(7 * HOUR)


async def test_clocks_that_disagree_retry_in_ten_minutes(
    sim: ZaloSimulator, make_connector: MakeConnector, clock: FakeClock
) -> None:
    sim.utc_offset_hours = 7
    broadcaster = broadcaster_of(make_connector(utc_offset="0"))  # the hub thinks it is 16:00
    assert broadcaster is not None
    clock.seconds = (clock() // 86400) * 86400 + 16 * HOUR  # 23:00 for Zalo
    with pytest.raises(RetryLater) as caught:
        await broadcaster.send_promotion(USER_ID, Promotion("Thông báo"))
    assert caught.value.reason == "night_time" and caught.value.retry_after == 600.0


def test_an_offset_that_is_not_a_number_is_refused(make_connector: MakeConnector) -> None:
    with pytest.raises(ChannelNotConfigured, match="utc_offset"):
        make_connector(utc_offset="bảy")
