"""Tables of issue 18 (privacy); filled by its migration's owner."""

from __future__ import annotations
