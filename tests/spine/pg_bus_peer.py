"""A second hub-like process for the LISTEN/NOTIFY tests: ``python -m tests.spine.pg_bus_peer URL``.

Subscribes to ``conversation:1`` through ``PgBus``, prints ``ready`` once it listens, then one
JSON line per event received. An event with ``"echo": true`` is published back on ``queue``;
``{"type": "stop"}`` ends it."""

from __future__ import annotations

import asyncio
import json
import sys

from bot.pg_events import PgBus


async def main(url: str) -> None:
    bus = PgBus(url, application_name="hub1022-events-peer")
    sub = await bus.subscribe("conversation:1")
    print("ready" if bus.listening else "not listening", flush=True)
    async for event in sub:
        print(json.dumps(event, ensure_ascii=False), flush=True)
        if event.get("echo"):
            await bus.publish("queue", {"type": "echo", "of": event})
        if event.get("type") == "stop":
            break
    await bus.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
