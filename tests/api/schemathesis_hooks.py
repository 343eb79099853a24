"""schemathesis hooks of :mod:`tests.api.test_schemathesis_v1` (loaded through
``SCHEMATHESIS_HOOKS``): a valid ``Idempotency-Key`` the fuzzer generated is made unique, so a
small key it repeats ("0") does not meet another body's earlier use (a 422 by design, tested
in ``test_tickets_api``) and every valid request really creates a ticket. An invalid key is
left as generated: it must still be refused."""

from __future__ import annotations

import re
import uuid
from typing import Any

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,200}")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        headers["Idempotency-Key"] = (uuid.uuid4().hex + key)[:200]
        case.headers = headers
