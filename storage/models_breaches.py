"""Tables of issue 18 (breaches); filled by its migration's owner."""

from __future__ import annotations
