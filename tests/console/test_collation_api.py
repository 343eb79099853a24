"""The console lists agencies and domains in Vietnamese order ("Đ" between "D" and "E",
"Ă"/"Â" after "A", case ignored) on SQLite and PostgreSQL alike: the sort is done in
Python with handoff.collation.vi_key, not by the database's collation."""

from __future__ import annotations

from typing import Any

from handoff.collation import vi_key

# created in an order that is neither Vietnamese nor code-point order
NAMES = ["Sở Xây dựng", "sở Đầu tư", "Sở Ăn uống thử", "Sở Du lịch", "Sở Âm nhạc thử", "Sở An toàn", "Sở Em"]
VIETNAMESE = [
    "Sở An toàn",
    "Sở Ăn uống thử",
    "Sở Âm nhạc thử",
    "Sở Du lịch",
    "sở Đầu tư",
    "Sở Em",
    "Sở Xây dựng",
]


async def test_agencies_and_domains_come_back_in_vietnamese_order(people: Any) -> None:
    assert sorted(NAMES, key=vi_key) == VIETNAMESE
    admin = await people("admin1")
    for i, name in enumerate(NAMES):
        status, body = await admin.post("/console/api/agencies", {"code": f"vi-{i}", "name": name})
        assert status == 200, body
        status, body = await admin.post("/console/api/domains", {"code": f"lv-{i}", "name": name})
        assert status == 200, body

    _, listing = await admin.get("/console/api/agencies")
    departments = [a["name"] for a in listing["agencies"] if a["kind"] == "department"]
    assert [n for n in departments if n in NAMES] == VIETNAMESE
    # every department, seeded or new, in Vietnamese order ("Công an tỉnh" before "Sở …")
    assert departments == sorted(departments, key=vi_key)
    kinds = [a["kind"] for a in listing["agencies"]]
    assert kinds == sorted(kinds)  # still grouped by kind

    _, listing = await admin.get("/console/api/domains")
    domains = [d["name"] for d in listing["domains"]]
    assert [n for n in domains if n in NAMES] == VIETNAMESE
    assert domains == sorted(domains, key=vi_key)
