"""The learning loop end to end (issue 12), on SQLite and PostgreSQL, with the hub's default
FAQ engine (its semantic model; no Rasa): a citizen's paraphrase that shares almost no words
with its entry gets numbered suggestions, the citizen taps the right one, the agency's officer
accepts the proposed phrasing in the console API, the new version is active, and the same
message in a fresh conversation is answered directly. Nothing else changed between the two
versions: the answer comes from the accepted phrasing."""

from __future__ import annotations

from typing import Any

from bot.faq_store import active_version, version_entries
from bot.hub import HUB
from faq.versions import diff
from tests.console.test_faq_learning import (
    CAMERA,
    FAQ,
    GTVT,
    Citizen,
    console_app,  # noqa: F401  (the hub's default settings, FAQ polled every 0.2 s)
    feedback,
    number_of,
    serving,
    with_faq,
)


async def test_tap_accept_then_answered_directly(people: Any, console_client: Any) -> None:
    app = console_client.app
    hub = app[HUB]
    await with_faq(app)
    before = await active_version(hub.sm, GTVT)
    assert before is not None

    citizen = await Citizen(console_client).start()
    offered = await citizen.say(CAMERA)
    assert offered["act"] == "suggest" and offered.get("faq_id") is None, offered
    answered = await citizen.say(number_of(offered, FAQ[1].question))
    assert (answered["act"], answered["faq_id"]) == ("answer", "GT2")
    assert await feedback(app) == [("tapped", "GT2", GTVT, CAMERA)]

    officer = await people("gtvt1")
    _, listing = await officer.get("/console/api/faq/proposals")
    (entry,) = listing["entries"]
    assert entry["entry_id"] == "GT2" and [p["text"] for p in entry["proposals"]] == [CAMERA]
    status, body = await officer.post(
        "/console/api/faq/proposals/accept", {"agency": GTVT, "entry_id": "GT2", "text": CAMERA}
    )
    assert status == 200 and body["version"]["active"] is True and body["version"]["number"] == 2
    _, versions = await officer.get("/console/api/faq/versions")
    assert [(v["number"], v["active"]) for v in versions["versions"]] == [(2, True), (1, False)]
    change = diff(
        await version_entries(hub.sm, before.id), await version_entries(hub.sm, body["version"]["id"])
    )
    assert not change.added and not change.removed
    assert [(c.new.id, c.fields, c.new.alternatives) for c in change.changed] == [
        ("GT2", ("alternatives",), (CAMERA,))
    ]

    await serving(app)  # this worker's full index follows the new active version
    again = await (await Citizen(console_client).start()).say(CAMERA)
    assert (again["act"], again["faq_id"]) == ("answer", "GT2"), again
    assert FAQ[1].answer in again["text"]
    _, listing = await officer.get("/console/api/faq/proposals")
    assert listing["entries"] == []  # now a phrasing of the entry: nothing left to propose
