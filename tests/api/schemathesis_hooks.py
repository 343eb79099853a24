"""schemathesis hooks of :mod:`tests.api.test_schemathesis_v1` (loaded through
``SCHEMATHESIS_HOOKS``): a valid ``Idempotency-Key`` the fuzzer generated is made unique, so a
small key it repeats ("0") does not meet another body's earlier use (a 422 by design, tested
in ``test_tickets_api``) and every valid request really creates a ticket. An invalid key is
left as generated: it must still be refused. The API token (``HUB_TEST_API_TOKEN``) is set on
every case except one the coverage phase sends without ``Authorization``, which must get 401
(a run-wide ``--header`` was put back into that case, and whether the run reached it early
enough to fail depended on the hash seed)."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,200}")


def _leaves_out(case: Any, header: str) -> bool:
    """The case tests the absence of ``header`` (the coverage phase's missing parameter)."""
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    scenario = str(getattr(data, "scenario", "")).lower()  # "missing_parameter"
    return getattr(data, "parameter", None) == header and "missing" in scenario


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers or {}
    if not _leaves_out(case, "Authorization"):
        # the token, except in a case meant to lack it (that one must get 401); a run-wide
        # --header was put back even into such a case, and its 201 failed the run
        headers["Authorization"] = f"Bearer {os.environ['HUB_TEST_API_TOKEN']}"
        case.headers = headers
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        headers["Idempotency-Key"] = (uuid.uuid4().hex + key)[:200]
        case.headers = headers
