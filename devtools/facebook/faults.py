"""Graph API errors in Graph's shape and the faults tests script (:class:`Fault`): rate
limit 613, HTTP 429, 5xx, a proxy's HTML 502, a hang, expired token 190, 551, 10/2018278."""

from __future__ import annotations

import enum
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web


class Fault(enum.StrEnum):
    RATE_LIMIT = "rate_limit"  # HTTP 400, code 613, X-Business-Use-Case-Usage regain time
    HTTP_429 = "http_429"  # HTTP 429, code 4, Retry-After
    SERVER_ERROR = "server_error"  # HTTP 500, code 2, is_transient
    BAD_GATEWAY = "bad_gateway"  # HTTP 502 with an HTML body (a proxy in the way)
    TIMEOUT = "timeout"  # the request hangs until the client gives up
    TOKEN_EXPIRED = "token_expired"  # HTTP 400, code 190 subcode 463
    UNAVAILABLE = "unavailable"  # HTTP 400, code 551 subcode 1545041
    OUTSIDE_WINDOW = "outside_window"  # HTTP 400, code 10 subcode 2018278


@dataclass
class QueuedFault:
    fault: Fault
    scope: str  # "send", "profile" or "any"
    after: int = 0  # let this many matching requests through first


class GraphFailure(Exception):
    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        type_: str = "OAuthException",
        headers: Mapping[str, str] | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.subcode, self.message = status, code, subcode, message
        self.type, self.headers, self.transient = type_, dict(headers or {}), transient

    def response(self) -> web.Response:
        err: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
            "fbtrace_id": "A" + secrets.token_urlsafe(8),
        }
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.transient:
            err["is_transient"] = True
        return web.json_response({"error": err}, status=self.status, headers=self.headers)


def invalid(message: str, subcode: int | None = None) -> GraphFailure:
    return GraphFailure(400, 100, f"(#100) {message}", subcode=subcode)


FAULTS: dict[Fault, Callable[[], GraphFailure]] = {
    Fault.RATE_LIMIT: lambda: GraphFailure(
        400,
        613,
        "(#613) Calls to this api have exceeded the rate limit.",
        headers={
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    "1022000000000001": [
                        {"type": "messenger", "call_count": 100, "estimated_time_to_regain_access": 2}
                    ]
                }
            )
        },
    ),
    Fault.HTTP_429: lambda: GraphFailure(
        429, 4, "(#4) Application request limit reached", headers={"Retry-After": "7"}
    ),
    Fault.SERVER_ERROR: lambda: GraphFailure(
        500, 2, "An unexpected error has occurred. Please retry your request later.", transient=True
    ),
    Fault.TOKEN_EXPIRED: lambda: GraphFailure(
        400,
        190,
        "Error validating access token: Session has expired on Monday, 23-Nov-26 09:00:00 PST.",
        subcode=463,
    ),
    Fault.UNAVAILABLE: lambda: GraphFailure(
        400, 551, "This person isn't available right now.", subcode=1545041
    ),
    Fault.OUTSIDE_WINDOW: lambda: GraphFailure(
        400,
        10,
        "(#10) This message is sent outside of allowed window.",
        subcode=2018278,
        type_="OAuthException",
    ),
}
