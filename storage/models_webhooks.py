"""Tables of issue 17 (webhooks); filled by its migration's owner."""

from __future__ import annotations
