"""Tables of issue 18 (retention); filled by its migration's owner."""

from __future__ import annotations
