"""Seed agencies, FAQ domains and canned answers from ``handoff/data/agencies.yml``
(Appendix 2 of the plan) into an empty database. Afterwards they are data that admins
edit in the console; seeding never overwrites it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_console import Agency, CannedAnswer, Domain

AGENCIES_ENV = "HUB_AGENCIES_FILE"
KINDS = ("department", "district", "other")


class SeedError(ValueError):
    """The agencies file is malformed."""


@dataclass(frozen=True)
class SeedData:
    agencies: list[dict[str, Any]]
    domains: list[dict[str, Any]]
    canned: list[dict[str, Any]]


def _list(raw: Mapping[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SeedError(f"{source}: '{key}' phải là danh sách các mục")
    return value


def parse_seed(text: str, source: str = "<text>") -> SeedData:
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, dict):
        raise SeedError(f"{source}: cần một bảng (mapping) ở cấp ngoài cùng")
    agencies = _list(raw, "agencies", source)
    domains = _list(raw, "domains", source)
    codes = set()
    for i, a in enumerate(agencies):
        if not a.get("code") or not a.get("name"):
            raise SeedError(f"{source}: agencies[{i}] cần 'code' và 'name'")
        if a.get("kind", "department") not in KINDS:
            raise SeedError(f"{source}: agencies[{i}].kind phải là một trong {KINDS}")
        if a["code"] in codes:
            raise SeedError(f"{source}: mã đơn vị trùng: {a['code']}")
        codes.add(a["code"])
    for i, d in enumerate(domains):
        if not d.get("code") or not d.get("name"):
            raise SeedError(f"{source}: domains[{i}] cần 'code' và 'name'")
        if d.get("agency") and d["agency"] not in codes:
            raise SeedError(f"{source}: domains[{i}] trỏ tới đơn vị không có: {d['agency']}")
    return SeedData(agencies, domains, _list(raw, "canned_answers", source))


def load_seed(environ: Mapping[str, str] | None = None) -> SeedData:
    env = os.environ if environ is None else environ
    path = (env.get(AGENCIES_ENV) or "").strip()
    if path:
        return parse_seed(Path(path).read_text(encoding="utf-8"), path)
    text = resources.files("handoff").joinpath("data/agencies.yml").read_text(encoding="utf-8")
    return parse_seed(text, "handoff/data/agencies.yml")


async def seed(session: AsyncSession, data: SeedData, now: datetime) -> bool:
    """Insert the seed when there is no agency yet; True when it did."""
    if (await session.execute(select(func.count()).select_from(Agency))).scalar_one():
        return False
    by_code: dict[str, Agency] = {}
    for a in data.agencies:
        agency = Agency(
            code=a["code"],
            name=a["name"],
            kind=a.get("kind", "department"),
            hotline=a.get("hotline"),
            active=True,
        )
        session.add(agency)
        by_code[agency.code] = agency
    await session.flush()
    for pos, d in enumerate(data.domains, 1):
        owner = by_code.get(d.get("agency") or "")
        session.add(
            Domain(
                code=d["code"],
                name=d["name"],
                position=pos,
                agency_id=owner.id if owner else None,
                owner_note=d.get("owner_note"),
                active=True,
            )
        )
    for c in data.canned:
        session.add(
            CannedAnswer(
                title=str(c.get("title", "")), text=str(c.get("text", "")), active=True, created_at=now
            )
        )
    await session.flush()
    return True
