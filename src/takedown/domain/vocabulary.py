"""The words of the trade, as fixed values. The string values are part of the HTTP contract."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    CHILD_SEXUAL_EXPLOITATION = "child_sexual_exploitation"
    NON_CONSENSUAL_INTIMATE_IMAGERY = "non_consensual_intimate_imagery"
    SEXTORTION = "sextortion"
    GROOMING = "grooming"
    VIOLENCE = "violence"
    HARASSMENT = "harassment"
    SPAM = "spam"
    OTHER = "other"


class ReporterRole(StrEnum):
    DEPICTED_PERSON = "depicted_person"
    PARENT_GUARDIAN = "parent_guardian"
    THIRD_PARTY = "third_party"
    TRUSTED_FLAGGER = "trusted_flagger"
    LAW_ENFORCEMENT = "law_enforcement"


class Priority(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    @property
    def rank(self) -> int:
        """0 is the most urgent."""
        return int(self.value[1])

    def raised(self) -> Priority:
        return Priority(f"P{max(0, self.rank - 1)}")

    @classmethod
    def most_urgent(cls, *priorities: Priority) -> Priority:
        return min(priorities, key=lambda p: p.rank)


class CaseState(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"
    PENDING_SECOND_REVIEW = "pending_second_review"
    DECIDED = "decided"
    APPEALED = "appealed"
    CLOSED = "closed"


class ContentState(StrEnum):
    VISIBLE = "visible"
    RESTRICTED = "restricted"
    REMOVED = "removed"


class ItemKind(StrEnum):
    """What a registered item is; only image and video carry media to hash."""

    IMAGE = "image"
    VIDEO = "video"
    TEXT = "text"
    LINK = "link"
    PROFILE = "profile"
    OTHER = "other"


MEDIA_KINDS = frozenset({ItemKind.IMAGE, ItemKind.VIDEO})
# The longest text an item may carry (API.md, "Content without media").
MAX_ITEM_TEXT = 100_000


class AccountState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Outcome(StrEnum):
    VIOLATING = "violating"
    NOT_VIOLATING = "not_violating"


class Policy(StrEnum):
    CSAM = "csam"
    NCII = "ncii"
    SEXTORTION = "sextortion"
    GROOMING = "grooming"
    # Child sex trafficking (REPORT Act): always filed with NCMEC.
    TRAFFICKING = "trafficking"
    VIOLENCE = "violence"
    HARASSMENT = "harassment"
    SPAM = "spam"
    NONE = "none"


class EventType(StrEnum):
    """Kinds of entries in a case's append-only history."""

    REPORT = "report"
    CONTENT_LINKED = "content_linked"
    PRIORITY = "priority"
    RESTRICT = "restrict"
    ESCALATE = "escalate"
    BREACH = "breach"
    ASSIGN = "assign"
    RELEASE = "release"
    REVEAL = "reveal"
    DECIDE = "decide"
    APPEAL = "appeal"
    ACTION = "action"
    NOTIFY = "notify"
    FILE = "file"
    EVIDENCE = "evidence"
    MATCH = "match"
    # A burst of new reporters on one item, for a reviewer to look at the reporters first.
    REPORTERS_FLAGGED = "reporters_flagged"
    # A hiding held back for a reviewer: one hash-only report matched more items than it may
    # hide at once (TAKEDOWN_HASH_REPORT_RESTRICT_MAX).
    HELD_FOR_REVIEW = "held_for_review"
    # The case's content is to be hidden wherever it is visible, copies joining later included.
    RESTRICT_REQUIRED = "restrict_required"
    # A running clock stopped (the TAKE IT DOWN Act's removal clock: content removed, decided).
    CLOCK_STOPPED = "clock_stopped"
    # Media that shares only part of itself with the case's (a stretch of video): shown to the
    # reviewer, never acted on without one (DESIGN rule 11).
    POSSIBLE_COPY = "possible_copy"
    # The platform changed an item's text after it joined the case (PATCH /v1/content/{id}).
    CONTENT_EDITED = "content_edited"
    # The stretches of a linked video a reviewer marks as the abusive part: what a confirmed
    # compilation adds to the internal bank.
    BANK_PART = "bank_part"


class WebhookType(StrEnum):
    CONTENT_RESTRICTED = "content.restricted"
    CONTENT_REMOVED = "content.removed"
    CONTENT_RESTORED = "content.restored"
    ACCOUNT_SUSPENDED = "account.suspended"
    ACCOUNT_RESTORED = "account.restored"
    CASE_ESCALATED = "case.escalated"


CHILD_SAFETY_CATEGORIES = frozenset({Category.CHILD_SEXUAL_EXPLOITATION, Category.GROOMING})

# Reporters whose word that a minor is depicted is enough to hide content before review
# (DESIGN rule 3): the person in the content, their parent, and vetted organisations.
RESTRICT_FIRST_ROLES = frozenset(
    {
        ReporterRole.DEPICTED_PERSON,
        ReporterRole.PARENT_GUARDIAN,
        ReporterRole.TRUSTED_FLAGGER,
        ReporterRole.LAW_ENFORCEMENT,
    }
)
