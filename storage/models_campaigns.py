"""Tables of issue 17 (campaigns); filled by its migration's owner."""

from __future__ import annotations
