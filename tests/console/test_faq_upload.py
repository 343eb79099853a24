"""FAQ spreadsheets through the console: upload with progress, all-or-nothing validation,
diff against the active version, activation and rollback; agency officers act only for
their own agency (also through the API: 403)."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.conftest import wait_for

GOOD = (
    "Mã,Câu hỏi,Trả lời,Lĩnh vực\n"
    "YT1,Tiêm vắc xin cho trẻ em ở đâu?,Tại trạm y tế xã (bản 1).,Y tế\n"
    "YT2,Xét nghiệm ở đâu?,Tại trung tâm y tế huyện.,Y tế\n"
)
CHANGED = GOOD.replace("(bản 1)", "(bản 2)") + "YT3,Khám hậu COVID ở đâu?,Tại bệnh viện tỉnh.,Y tế\n"
BROKEN = "Mã,Câu hỏi,Trả lời\nYT1,Tiêm vắc xin ở đâu?,\n"


def form(
    text: str, agency: str = "", activate: bool = True, name: str = "faq.csv", preview: bool = False
) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("agency", agency)
    data.add_field("activate", "true" if activate else "false")
    data.add_field("preview", "true" if preview else "false")
    data.add_field("file", text.encode("utf-8"), filename=name, content_type="text/csv")
    return data


async def upload(who: Any, text: str, **kw: Any) -> dict[str, Any]:
    status, body = await who.post("/console/api/faq/import", data=form(text, **kw))
    assert status == 202, body

    async def finished() -> dict[str, Any] | None:
        _, job = await who.get(f"/console/api/faq/jobs/{body['job']}")
        return job if job["state"] != "running" else None

    job: dict[str, Any] = await wait_for(finished, timeout=30)
    return job


async def test_upload_diff_activate_and_roll_back(people: Any) -> None:
    admin = await people("admin1")
    job = await upload(admin, GOOD, agency="Sở Y tế")
    assert job["state"] == "done" and job["version"]["number"] == 1 and job["version"]["active"]
    job2 = await upload(admin, CHANGED, agency="Sở Y tế", activate=False)
    assert job2["diff"] == {"added": 1, "changed": 1, "removed": 0}
    v2 = job2["version"]["id"]
    status, diff = await admin.get(f"/console/api/faq/versions/{v2}/diff")
    assert (
        status == 200
        and [c["id"] for c in diff["changed"]] == ["YT1"]
        and diff["changed"][0]["fields"] == ["answer"]
    )
    status, _ = await admin.post(f"/console/api/faq/versions/{v2}/activate")
    assert status == 200
    _, listing = await admin.get("/console/api/faq/versions?agency=Sở Y tế")
    assert [(v["number"], v["active"]) for v in listing["versions"]] == [(2, True), (1, False)]
    status, _ = await admin.post(f"/console/api/faq/versions/{job['version']['id']}/activate")  # rollback
    _, listing = await admin.get("/console/api/faq/versions?agency=Sở Y tế")
    assert [(v["number"], v["active"]) for v in listing["versions"]] == [(2, False), (1, True)]
    _, audit = await admin.get("/console/api/audit")
    assert "faq.activate" in str(audit) and "faq.import" in str(audit)


async def test_broken_file_is_refused_whole_with_a_report(people: Any) -> None:
    admin = await people("admin1")
    job = await upload(admin, BROKEN, agency="Sở Y tế")
    assert job["state"] == "rejected" and "Trả lời" in job["report"]
    _, listing = await admin.get("/console/api/faq/versions")
    assert listing["versions"] == []
    status, body = await admin.post(
        "/console/api/faq/import", data=form(GOOD, agency="Sở Y tế", name="faq.exe")
    )
    assert status == 400 and ".xlsx" in body["error"]


async def test_agency_officer_only_for_own_agency(people: Any) -> None:
    officer = await people("yte1")  # Sở Y tế
    job = await upload(officer, GOOD, agency="")
    assert job["state"] == "done" and job["agency"] == "Sở Y tế"
    status, body = await officer.post("/console/api/faq/import", data=form(GOOD, agency="Công an tỉnh"))
    assert status == 403, body
    admin = await people("admin1")
    other = await upload(admin, GOOD.replace("YT", "CA"), agency="Công an tỉnh")
    status, _ = await officer.post(f"/console/api/faq/versions/{other['version']['id']}/activate")
    assert status == 403
    status, _ = await officer.get(f"/console/api/faq/versions/{other['version']['id']}/diff")
    assert status == 403
    _, listing = await officer.get("/console/api/faq/versions")
    assert {v["agency"] for v in listing["versions"]} == {"Sở Y tế"}
    operator = await people("op1")
    status, _ = await operator.post("/console/api/faq/import", data=form(GOOD, agency="Sở Y tế"))
    assert status == 403
    anonymous = await people()
    status, _ = await anonymous.get("/console/api/faq/versions")
    assert status == 401
