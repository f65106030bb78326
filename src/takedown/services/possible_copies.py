"""Possible copies: media that shares only a stretch with a case's media (DESIGN rule 11).

A banked clip is found inside a compilation by overlap, but the compilation's other footage
is not thereby abusive, and neither is another video that shares only that footage. Such a
match is put before the case's reviewer as a possible copy, recorded in the case's history;
it is not linked to the case, so deciding the case neither hides, removes nor suspends
anything because of it. A reviewer who judges it a real copy links it (`confirm_copy`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.vocabulary import EventType
from takedown.services import case_log
from takedown.services.cases import SYSTEM, link_item
from takedown.services.errors import Conflict, NotFound
from takedown.services.restriction import restrict_item
from takedown.store.models import Case, ContentItem


def propose(
    session: Session,
    case: Case,
    item: ContentItem,
    signal: str,
    closeness: dict[str, Any],
    found_by: str,
    now: datetime,
) -> bool:
    """Show `item` on the case as a possible copy, once; False if linked or already shown."""
    if any(link.item_id == item.id for link in case.links):
        return False
    if any(p["item_id"] == item.id for p in proposals(session, case, include_linked=True)):
        return False
    data = {
        "content_id": item.content_id,
        "item_id": item.id,
        "account_id": item.account_id,
        "signal": signal,
        **closeness,
        "found_by": found_by,
    }
    case_log.record(session, case, EventType.POSSIBLE_COPY, SYSTEM, now, data)
    return True


def proposals(session: Session, case: Case, include_linked: bool = False) -> list[dict[str, Any]]:
    """The case's possible copies not yet linked by a reviewer, oldest first."""
    linked = {link.item_id for link in case.links}
    return [
        dict(event.data)
        for event in case_log.history(session, case.id)
        if event.type == EventType.POSSIBLE_COPY
        and (include_linked or event.data.get("item_id") not in linked)
    ]


def confirm_copy(
    session: Session, case: Case, content_id: str, actor: str, now: datetime
) -> ContentItem:
    """A reviewer judges a possible copy a real one: it joins the case and is hidden with it
    when the case hides content; deciding the case then acts on it like on any copy."""
    if case.state not in AWAITING_DECISION:
        raise Conflict(f"case {case.id} is {case.state}: copies are linked before the decision")
    for proposal in proposals(session, case):
        if proposal.get("content_id") == content_id:
            item = session.get(ContentItem, str(proposal["item_id"]))
            if item is None:
                break
            reason = f"possible copy confirmed by {actor}"
            link_item(session, case, item, reason, now)
            if case.restrict_required:
                restrict_item(session, case, item, actor, reason, now)
            return item
    raise NotFound(f"no possible copy {content_id!r} on case {case.id}")
