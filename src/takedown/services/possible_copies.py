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
from takedown.services.errors import Conflict, Invalid, NotFound
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


MAX_SEGMENTS = 100


def mark_bank_part(
    session: Session,
    case: Case,
    content_id: str,
    segments: object,
    actor: str,
    now: datetime,
) -> list[tuple[float, float]]:
    """A reviewer marks which stretches of a linked video are the abusive part, in seconds.

    If the case is confirmed as csam, only the frames inside them go to the internal bank
    (in place of the part that matched a bank, or the whole video). The latest mark wins.
    """
    if case.state not in AWAITING_DECISION:
        raise Conflict(f"case {case.id} is {case.state}: parts are marked before the decision")
    link = next((k for k in case.links if k.item.content_id == content_id), None)
    if link is None:
        raise NotFound(f"no content {content_id!r} on case {case.id}")
    if not any(s.signal == "vpdq" for s in link.item.signals):
        raise Invalid(f"{content_id} is not a hashed video", "not_a_video")
    parsed = _segments(segments)
    data = {
        "content_id": content_id,
        "item_id": link.item_id,
        "segments": [list(s) for s in parsed],
    }
    case_log.record(session, case, EventType.BANK_PART, actor, now, data)
    return parsed


def _segments(value: object) -> list[tuple[float, float]]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_SEGMENTS:
        raise Invalid(
            f"segments must be a list of 1 to {MAX_SEGMENTS} [start_s, end_s] pairs",
            "invalid_segments",
        )
    out = []
    for pair in value:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
            or not 0 <= pair[0] < pair[1] < 86_400
        ):
            raise Invalid(
                "each segment must be [start_s, end_s] with 0 <= start_s < end_s",
                "invalid_segments",
            )
        out.append((float(pair[0]), float(pair[1])))
    return sorted(out)


def marked_parts(session: Session, case: Case) -> dict[str, list[tuple[float, float]]]:
    """The latest marked stretches of each linked video, by item id."""
    parts: dict[str, list[tuple[float, float]]] = {}
    for event in case_log.history(session, case.id):
        if event.type == EventType.BANK_PART:
            parts[str(event.data["item_id"])] = [
                (float(a), float(b)) for a, b in event.data["segments"]
            ]
    return parts


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
