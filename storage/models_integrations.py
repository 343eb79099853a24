"""Tables of issue 17 (integrations); filled by its migration's owner."""

from __future__ import annotations
