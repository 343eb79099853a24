"""The ticket workflow of the regulation, as transitions over stored data.

    new ──refuse──▶ refused                                   (Điều 3.6, 9.2)
    new ──forward──▶ forwarded ──progress──▶ in_progress      (Điều 10.1, 10.3)
    new ──unclear──▶ unclear ──assign (supervisor)──▶ forwarded  (Điều 10.4)
    forwarded|in_progress ──send_back──▶ unclear
    forwarded|in_progress ──phone_answered──▶ phone_answered (write-up due in 4 wh)
    forwarded|in_progress|phone_answered ──answer──▶ answered

Every function runs inside the caller's transaction, checks the actor's right, writes
the status history and queues the citizen's message; it returns an :class:`Outcome` the
caller publishes after commit. Deadlines are stored instants computed from timestamps
and the working-time calendar; :func:`check_deadlines` is a periodic scan, never a timer.

The workflow is split by concern: the transitions (:mod:`handoff.transitions` and
:mod:`handoff.agency_transitions`, the one owner of a ticket's status), the loading of a
ticket for them (:mod:`handoff.loaders`), the deadline scan (:mod:`handoff.deadline_checks`)
and what they share (:mod:`handoff.workflow_base`). This module is their public face: ``from handoff import
workflow as wf`` gives all of it.
"""

from __future__ import annotations

from handoff.agency_transitions import ask_more_info, phone_answered, progress, send_back
from handoff.deadline_checks import (
    check_deadlines,
    deadline_flag,
    is_breach,
    overdue_clause,
    remaining_working_time,
)
from handoff.deadlines import DeadlineState
from handoff.loaders import load
from handoff.transitions import (
    answer,
    assign,
    close,
    forward,
    mark_unclear,
    open_ticket,
    refuse,
    set_urgent,
)
from handoff.workflow_base import (
    OVERSIGHT,
    STAFF,
    STATUS_LABELS,
    SYSTEM_ACTOR,
    Actor,
    Outcome,
    PermissionDenied,
    WorkflowError,
    can_view,
    utc,
)
from storage.models_console import OPEN_AT_AGENCY

__all__ = [
    "OPEN_AT_AGENCY",
    "OVERSIGHT",
    "STAFF",
    "STATUS_LABELS",
    "SYSTEM_ACTOR",
    "Actor",
    "DeadlineState",
    "Outcome",
    "PermissionDenied",
    "WorkflowError",
    "answer",
    "ask_more_info",
    "assign",
    "can_view",
    "check_deadlines",
    "close",
    "deadline_flag",
    "forward",
    "is_breach",
    "load",
    "mark_unclear",
    "open_ticket",
    "overdue_clause",
    "phone_answered",
    "progress",
    "refuse",
    "remaining_working_time",
    "send_back",
    "set_urgent",
    "utc",
]
