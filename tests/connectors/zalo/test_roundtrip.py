"""The simulator plays Zalo on both sides: our send comes back as an ``oa_send_*`` echo and a
``user_received_message``; a console reply comes back as an echo with an id we never sent;
duplicate and out-of-order deliveries all verify and parse to the same ids."""

from __future__ import annotations

from connectors.base import EventKind, OutboundMessage
from connectors.zalo import ZaloConnector
from devtools.zalo import ZaloSimulator
from tests.connectors.zalo.conftest import USER_ID
from tests.connectors.zalo.test_signature import Server, serve


async def test_echo_and_delivery_of_our_send(
    sim: ZaloSimulator, connector: ZaloConnector, aiohttp_server: Server
) -> None:
    endpoint, url = await serve(aiohttp_server, connector)
    sim.webhook_url = url
    message = OutboundMessage(
        channel="zalo", external_user_id=USER_ID, text="Đã tiếp nhận", message_id=1, conversation_id=1
    )
    result = await connector.send(message)
    await endpoint.wait_for(2)
    echo, delivery = endpoint.received
    assert (echo.kind, echo.channel_message_id, echo.text) == (
        EventKind.ECHO,
        result.channel_message_ids[0],
        "Đã tiếp nhận",
    )
    assert echo.external_user_id == USER_ID
    assert (delivery.kind, delivery.refers_to) == (EventKind.DELIVERY, result.channel_message_ids)


async def test_console_reply_is_an_echo_with_an_id_we_never_sent(
    sim: ZaloSimulator, connector: ZaloConnector, aiohttp_server: Server
) -> None:
    endpoint, url = await serve(aiohttp_server, connector)
    sim.webhook_url = url
    msg_id = await sim.console_send(USER_ID, "Cán bộ trả lời trực tiếp trong OA")
    (echo,) = endpoint.received
    assert echo.kind is EventKind.ECHO and echo.channel_message_id == msg_id
    assert sim.sent == []  # not an API send: the hub records it as an operator message


async def test_duplicates_and_out_of_order_deliveries(
    sim: ZaloSimulator, connector: ZaloConnector, aiohttp_server: Server
) -> None:
    endpoint, url = await serve(aiohttp_server, connector)
    events = [sim.user_text(USER_ID, f"Tin {i}") for i in range(5)] + [
        sim.follow(USER_ID),
        sim.user_image(USER_ID),
    ]
    deliveries = await sim.deliver_many(url, events, duplicates=2, shuffle=True, concurrently=True)
    assert len(deliveries) == 21 and all(d.status == 200 for d in deliveries)
    assert len(endpoint.received) == 21
    ids = {m.channel_message_id for m in endpoint.received if m.kind is EventKind.MESSAGE}
    assert ids == {e["message"]["msg_id"] for e in events if "message" in e}
