"""EU Digital Services Act statements of reasons (Art. 17, 24(5)), in the Transparency
Database's own field names and enumeration keys (DESIGN rule 14).

The reference is the database's validation: `app/Http/Requests/StatementStoreRequest.php` and
`app/Models/Statement.php` in `digital-services-act/transparency-database`. One statement per
restrictive decision: access disabled (restrict first, review second), content removed, account
suspended. A statement is published, so it carries no personal data: no content or account
ids, no reporter's words, no reviewer's name or free-text reason; `puid` is the id of the case
event that recorded the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from takedown.domain.vocabulary import Category, Policy, ReporterRole


class Restriction(StrEnum):
    DISABLED = "disabled"  # hidden pending review (reversible)
    REMOVED = "removed"
    ACCOUNT_SUSPENDED = "account_suspended"


@dataclass(frozen=True)
class Ground:
    """How one of our policies reads in the database's categories and keywords."""

    category: str
    keywords: tuple[str, ...]
    illegal: bool
    # For illegal content: the law relied on. For the rest: the terms-of-service ground.
    reference: str
    what: str
    keyword_other: str | None = None


_CSAM = Ground(
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    ("KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",),
    True,
    "Directive 2011/93/EU, Article 5 (child sexual abuse material); 18 U.S.C. 2258A",
    "child sexual abuse material",
)
GROUNDS: dict[Policy, Ground] = {
    Policy.CSAM: _CSAM,
    Policy.GROOMING: Ground(
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        ("KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",),
        True,
        "Directive 2011/93/EU, Article 6 (solicitation of children for sexual purposes)",
        "grooming or sexual enticement of a minor",
    ),
    Policy.NCII: Ground(
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        ("KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",),
        True,
        "Directive (EU) 2024/1385, Article 5 (non-consensual sharing of intimate material)",
        "intimate material shared without consent",
    ),
    Policy.SEXTORTION: Ground(
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        ("KEYWORD_OTHER",),
        True,
        "Directive (EU) 2024/1385, Article 5(1)(c) (threatening to share intimate material)",
        "sexual extortion",
        keyword_other="Sexual extortion (sextortion)",
    ),
    Policy.VIOLENCE: Ground(
        "STATEMENT_CATEGORY_VIOLENCE",
        (),
        False,
        "Terms of service: violent content",
        "violent content",
    ),
    Policy.HARASSMENT: Ground(
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        ("KEYWORD_CYBER_HARASSMENT",),
        False,
        "Terms of service: harassment",
        "harassment",
    ),
    Policy.SPAM: Ground(
        "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        (),
        False,
        "Terms of service: spam",
        "spam",
    ),
    Policy.NONE: Ground(
        "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        (),
        False,
        "Terms of service",
        "a violation of the terms of service",
    ),
}

# Before a decision, the category the reporter (or the bank) gave stands for the policy.
POLICY_OF_CATEGORY: dict[Category, Policy] = {
    Category.CHILD_SEXUAL_EXPLOITATION: Policy.CSAM,
    Category.NON_CONSENSUAL_INTIMATE_IMAGERY: Policy.NCII,
    Category.SEXTORTION: Policy.SEXTORTION,
    Category.GROOMING: Policy.GROOMING,
    Category.VIOLENCE: Policy.VIOLENCE,
    Category.HARASSMENT: Policy.HARASSMENT,
    Category.SPAM: Policy.SPAM,
    Category.OTHER: Policy.NONE,
}

CONTENT_TYPES = {
    "image": "CONTENT_TYPE_IMAGE",
    "video": "CONTENT_TYPE_VIDEO",
    "audio": "CONTENT_TYPE_AUDIO",
    "text": "CONTENT_TYPE_TEXT",
}

BANK_MATCH = "bank_match"


def source_type(first_reporter_role: str) -> str:
    """Where the case began: a bank match is our own initiative; a trusted flagger's notice
    is theirs; law enforcement's is another notification; anyone else's is an Art. 16 notice."""
    if first_reporter_role == BANK_MATCH:
        return "SOURCE_VOLUNTARY"
    if first_reporter_role == ReporterRole.TRUSTED_FLAGGER:
        return "SOURCE_TRUSTED_FLAGGER"
    if first_reporter_role == ReporterRole.LAW_ENFORCEMENT:
        return "SOURCE_TYPE_OTHER_NOTIFICATION"
    return "SOURCE_ARTICLE_16"


def content_type(media_types: list[str | None]) -> list[str]:
    """The database's content types for the items' MIME types (or kinds), `OTHER` for the
    rest; one entry per distinct type."""
    out: list[str] = []
    for media in media_types:
        major = (media or "").split("/")[0].lower()
        value = CONTENT_TYPES.get(major, "CONTENT_TYPE_OTHER")
        if value not in out:
            out.append(value)
    return out or ["CONTENT_TYPE_OTHER"]


@dataclass(frozen=True)
class RestrictiveDecision:
    puid: str
    restriction: Restriction
    policy: Policy
    by_person: bool  # a person's decision led to it (else a rule acted alone)
    detected_by_match: bool  # the case began with a bank match
    first_reporter_role: str
    applied_at: datetime
    content_created_at: datetime
    media_types: list[str | None]


def _facts(d: RestrictiveDecision, ground: Ground) -> str:
    if d.restriction is Restriction.DISABLED:
        why = (
            "matched a hash of known material in a hash bank"
            if d.detected_by_match
            else f"was reported as {ground.what}"
        )
        return (
            f"The content {why}. Access to it was disabled at once, before human review, under "
            "the provider's rule that content that may endanger a child is hidden first and "
            "reviewed second. The restriction is reversed if review finds no violation."
        )
    who = (
        "A trained reviewer decided"
        if d.by_person
        else "An exact or near-exact match against a hash bank of known material established"
    )
    done = (
        "The account that uploaded it was suspended."
        if d.restriction is Restriction.ACCOUNT_SUSPENDED
        else "The content and every stored copy of it were removed."
    )
    return f"{who} that the content is {ground.what}. {done}"


def statement(d: RestrictiveDecision) -> dict[str, Any]:
    """One statement of reasons in the Transparency Database's fields."""
    ground = GROUNDS[d.policy]
    out: dict[str, Any] = {"puid": d.puid}
    if d.restriction is Restriction.ACCOUNT_SUSPENDED:
        out["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
    elif d.restriction is Restriction.REMOVED:
        out["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    else:
        out["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    if ground.illegal:
        out["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
        out["illegal_content_legal_ground"] = ground.reference
        out["illegal_content_explanation"] = (
            f"The content is {ground.what}, which is illegal under the law cited."
        )
    else:
        out["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        out["incompatible_content_ground"] = ground.reference
        out["incompatible_content_explanation"] = (
            f"The content is {ground.what}, which the terms of service do not allow."
        )
    out["category"] = ground.category
    if ground.keywords:
        out["category_specification"] = list(ground.keywords)
    if ground.keyword_other:
        out["category_specification_other"] = ground.keyword_other
    types = content_type(d.media_types)
    out["content_type"] = types
    if "CONTENT_TYPE_OTHER" in types:
        out["content_type_other"] = "Item of a type the platform did not state"
    out["content_date"] = d.content_created_at.strftime("%Y-%m-%d")
    out["application_date"] = d.applied_at.strftime("%Y-%m-%d")
    out["decision_facts"] = _facts(d, ground)
    out["source_type"] = source_type(d.first_reporter_role)
    out["automated_detection"] = "Yes" if d.detected_by_match else "No"
    out["automated_decision"] = (
        "AUTOMATED_DECISION_NOT_AUTOMATED" if d.by_person else "AUTOMATED_DECISION_FULLY"
    )
    return out
