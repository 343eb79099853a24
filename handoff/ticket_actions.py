"""The actions an actor may take on a ticket in its current status: the state diagram of
:mod:`handoff.workflow` as data, so the console shows only the forms the server would accept.

It mirrors the checks of :mod:`handoff.transitions` (role, agency and status); the
transitions stay the authority and refuse anything else.
"""

from __future__ import annotations

from handoff.workflow_base import OVERSIGHT, STAFF, Actor, can_view, is_agency_officer
from storage.models import Ticket
from storage.models_console import FINAL_STATUSES, OPEN_AT_AGENCY, TicketStatus, TicketTrack

NEW, UNCLEAR = TicketStatus.NEW.value, TicketStatus.UNCLEAR.value
AWAITING = {TicketStatus.FORWARDED.value, TicketStatus.IN_PROGRESS.value}
AT_AGENCY = {s.value for s in OPEN_AT_AGENCY}
CLOSABLE = {TicketStatus.ANSWERED.value, TicketStatus.REFUSED.value, NEW}
FINAL = {s.value for s in FINAL_STATUSES}


def allowed_actions(actor: Actor, ticket: Ticket, track: TicketTrack) -> list[str]:
    """The transition names (as in the console's API paths) allowed now, in a stable order."""
    if not can_view(actor, track):
        return []
    status, staff, officer = ticket.status, actor.role in STAFF, is_agency_officer(actor, track)
    out: list[str] = []
    if staff and (status == NEW or (status == UNCLEAR and actor.role in OVERSIGHT)):
        out.append("forward")
    if staff and status == NEW:
        out.append("unclear")
    if staff and status in (NEW, UNCLEAR):
        out.append("refuse")
    if actor.role in OVERSIGHT and status == UNCLEAR:
        out.append("assign")
    if officer and status in AWAITING:
        out += ["progress", "phone_answered"]
    if (staff and status == NEW) or (officer and status in AT_AGENCY):
        out.append("answer")
    if officer and status in AWAITING:
        if ticket.conversation_id is not None:
            out.append("more_info")
        out.append("send_back")
    if staff and status in CLOSABLE:
        out.append("close")
    if staff and status not in FINAL:
        out.append("urgent")  # set or clear the mark (handoff.transitions.set_urgent)
    return out
