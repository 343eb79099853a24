"""The campaigns' own error: a Vietnamese message for the officer and an HTTP-like status."""

from __future__ import annotations


class CampaignError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
