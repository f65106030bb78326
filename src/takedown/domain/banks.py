"""What a bank match does: pure rules, no I/O.

A bank's action says what the platform must do with a matching upload (`block`: never
publish; `hold`: keep private until a decision; `review`: publish, and put it before a
reviewer). A match in a child-safety bank hides the content and opens a P0 case whatever the
action (DESIGN rule 3: restrict first, review second).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from takedown.domain.triage import Triage, triage_bank_match
from takedown.domain.vocabulary import Category, ContentState


class BankAction(StrEnum):
    BLOCK = "block"
    HOLD = "hold"
    REVIEW = "review"


@dataclass(frozen=True)
class MatchEffect:
    """The content state a match leads to, and the case it opens."""

    state: ContentState
    triage: Triage
    category: Category


def effect_of_match(action: BankAction, child_safety: bool) -> MatchEffect:
    """`block` removes (the upload is never published); `hold` and any child-safety match hide
    it; `review` leaves it up with a case for a reviewer."""
    triage = triage_bank_match(child_safety)
    category = Category.CHILD_SEXUAL_EXPLOITATION if child_safety else Category.OTHER
    if action is BankAction.BLOCK:
        state = ContentState.REMOVED
    elif action is BankAction.HOLD or child_safety:
        state = ContentState.RESTRICTED
    else:
        state = ContentState.VISIBLE
    return MatchEffect(state, triage, category)


def strongest(effects: list[MatchEffect]) -> MatchEffect | None:
    """Of several matches, the one that hides most (removed, then restricted, then visible),
    and among equals a child-safety one, so its P0 case is the one opened."""
    order = {ContentState.REMOVED: 0, ContentState.RESTRICTED: 1, ContentState.VISIBLE: 2}
    if not effects:
        return None
    return min(effects, key=lambda e: (order[e.state], e.triage.priority.rank))


def retroactive_state(action: BankAction, child_safety: bool) -> ContentState:
    """A stored item found by a later bank entry was already published: it is hidden (not
    removed) until a reviewer decides, unless the bank only asks for review."""
    if child_safety or action in (BankAction.BLOCK, BankAction.HOLD):
        return ContentState.RESTRICTED
    return ContentState.VISIBLE
