"""Reading JSON request bodies safely, and making text storable.

Every JSON endpoint (the web chat API, the console API) reads its body with
:func:`read_object`: the body size, the nesting depth, the number of members of any
object or array and the length of every string are bounded, and a body over a bound is
answered with a clear Vietnamese 400/413 (``{"error": ...}``) instead of a 500. Every
string in the result is made storable by ``connectors.text.storable`` (the rule every
channel follows): PostgreSQL refuses U+0000 and UTF-8 cannot carry a lone surrogate, so
neither ever reaches the database.

Nothing here knows the hub: the channels (the web chat API) and the console both use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from connectors.text import storable  # the one cleaning rule, shared with every channel

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

_DIGITS = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True)
class JsonLimits:
    max_bytes: int
    max_depth: int = 32  # nested objects/arrays, the outer object is level 1
    max_items: int = 1000  # members of one object or array
    max_string: int = 20_000  # characters of any key or string value, as sent
    max_field: Mapping[str, int] = field(default_factory=dict)  # tighter, for these keys


def bad_request(message: str, status: int = 400) -> web.HTTPException:
    """An aiohttp error whose body is ``{"error": message}`` (Vietnamese, shown to the user)."""
    body = json.dumps({"error": message}, ensure_ascii=False)
    if status == 413:
        return web.HTTPRequestEntityTooLarge(
            max_size=0, actual_size=0, text=body, content_type="application/json"
        )
    return web.HTTPBadRequest(text=body, content_type="application/json")


def _too_large(limits: JsonLimits) -> web.HTTPException:
    return bad_request(f"Dữ liệu gửi lên quá lớn (tối đa {limits.max_bytes // 1024} KB)", 413)


async def read_body(request: web.Request, limits: JsonLimits) -> bytes:
    """The raw body, refused with 413 as soon as it exceeds ``limits.max_bytes``."""
    if request.content_length is not None and request.content_length > limits.max_bytes:
        raise _too_large(limits)
    buf = bytearray()
    while chunk := await request.content.read(65536):
        buf += chunk
        if len(buf) > limits.max_bytes:
            raise _too_large(limits)
    return bytes(buf)


async def read_object(request: web.Request, limits: JsonLimits) -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body), bounded and storable."""
    return parse_object(await read_body(request, limits), limits)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_object(raw: bytes, limits: JsonLimits) -> dict[str, Any]:
    """Parse ``raw`` as one JSON object within ``limits``; every string made storable."""
    if len(raw) > limits.max_bytes:
        raise _too_large(limits)
    text = raw.decode("utf-8-sig", errors="replace")
    if not text.strip():
        return {}
    try:
        body = json.loads(text, parse_constant=_no_constants)
    except RecursionError as err:  # deeper than the parser's own stack allows
        raise _too_deep(limits) from err
    except ValueError as err:
        raise bad_request("JSON không hợp lệ") from err
    if not isinstance(body, dict):
        raise bad_request("Cần một đối tượng JSON")
    cleaned: dict[str, Any] = _clean(body, limits, 1, None)
    return cleaned


def _too_deep(limits: JsonLimits) -> web.HTTPException:
    return bad_request(f"JSON lồng nhau quá sâu (tối đa {limits.max_depth} cấp)")


def _clean(value: Any, limits: JsonLimits, depth: int, key: str | None) -> Any:
    """A copy of ``value`` with storable strings; refused past a limit. Recursion is
    bounded by ``limits.max_depth``."""
    if isinstance(value, str):
        limit = limits.max_field.get(key, limits.max_string) if key else limits.max_string
        if len(value) > limit:  # counted as sent, like a JSON Schema maxLength
            where = f"Trường {key}" if key else "Chuỗi"
            raise bad_request(f"{where} dài quá {limit} ký tự")
        return storable(value)
    if not isinstance(value, dict | list):
        return value
    if depth > limits.max_depth:
        raise _too_deep(limits)
    if len(value) > limits.max_items:
        raise bad_request(f"Quá nhiều phần tử trong một đối tượng JSON (tối đa {limits.max_items})")
    if isinstance(value, list):
        return [_clean(v, limits, depth + 1, key) for v in value]
    return {_clean(k, limits, depth, None): _clean(v, limits, depth + 1, k) for k, v in value.items()}


def int_param(raw: str | None, name: str, *, default: int, maximum: int = INT32_MAX) -> int:
    """A non-negative integer query parameter, at most ``maximum`` (a column's range):
    plain ASCII digits only, anything else is a 400."""
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or int(raw) > maximum:
        raise bad_request(f"Tham số {name} phải là số nguyên từ 0 đến {maximum}")
    return int(raw)


def int_value(value: Any, name: str, *, maximum: int = INT64_MAX) -> int:
    """An integer field of a JSON body (or its decimal string), within ±``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise bad_request(f"Trường {name} phải là số")
    text = value.strip() if isinstance(value, str) else str(value)
    if not re.fullmatch(r"-?[0-9]{1,19}", text) or abs(int(text)) > maximum:
        raise bad_request(f"Trường {name} phải là số nguyên (tối đa {maximum})")
    return int(text)
