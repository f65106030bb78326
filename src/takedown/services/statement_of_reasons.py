"""The statement of reasons the platform shows the uploader (EU DSA Art. 17 and 20).

When Takedown hides or removes an item or suspends an account, the `content.restricted`,
`content.removed` and `account.suspended` webhooks carry `statement_of_reasons`: what was done,
on what ground, whether it was automated or decided by a person, and how to appeal. The platform
can show it to the uploader as it is (`text`), or build its own words from the fields. An
appeal goes to `POST /v1/content/{content_id}/appeal` and is decided by a senior reviewer who
did not decide the case (services.appeals).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import object_session

from takedown.clock import rfc3339
from takedown.domain.vocabulary import Policy
from takedown.services import case_reports
from takedown.store.models import Case

# The ground in words an uploader understands; CSAM is also illegal, not only against the rules.
GROUNDS = {
    Policy.CSAM: "sexual content involving a child, which is illegal and against the rules",
    Policy.NCII: "intimate images shared without the consent of the person in them",
    Policy.SEXTORTION: "threatening to share sexual images to get something from someone",
    Policy.GROOMING: "trying to get sexual contact with a child",
    Policy.VIOLENCE: "violence or threats of violence",
    Policy.HARASSMENT: "bullying or harassment",
    Policy.SPAM: "spam or scams",
    Policy.NONE: "the platform's rules",
}
ILLEGAL = frozenset({Policy.CSAM})


def _automated(actor: str) -> bool:
    return actor == "system" or actor.startswith("system:")


def _detected_automatically(case: Case) -> bool:
    """Found by a hash match rather than reported by a person."""
    session = object_session(case)
    assert session is not None, "a statement is made for a case in a transaction"
    # Counted, not loaded: the case may hold thousands of reports (services.case_reports).
    counted = case_reports.tally(session, case)
    return bool(counted.priorities) and counted.distinct_reporters == 0


def _ground(policy: Policy | None, reason: str) -> tuple[str, str]:
    if policy is None:  # a `block` bank match at upload: known abuse material
        return "known abuse material (a match in a bank of known material)", reason
    return GROUNDS.get(policy, "the platform's rules"), reason


def statement(
    case: Case,
    action: str,
    actor: str,
    now: datetime,
    content_id: str | None,
    account_id: str,
    policy: Policy | None,
    facts: str,
) -> dict[str, Any]:
    """The statement for one removal (`action` "removed"), hiding pending review
    ("restricted") or suspension ("suspended")."""
    automated = _automated(actor)
    pending = action == "restricted"
    if pending:
        # Hidden before anyone decided (DESIGN rule 3): say so, and what happens next.
        ground = "a report or an automatic match saying it may break the rules"
        explanation = facts
    else:
        ground, explanation = _ground(policy, facts)
    appealable = content_id is not None and not pending
    what = {
        "removed": "This item was removed",
        "restricted": "This item was hidden from the public while a trained reviewer looks at it",
    }.get(action, "This account was suspended")
    how = "an automatic check" if automated else "a trained reviewer"
    if pending:
        next_words = "No decision has been made yet; you will be told the outcome."
    elif appealable:
        next_words = (
            "You can appeal this decision; a senior reviewer who did not make it will look at "
            "it again."
        )
    else:
        next_words = "You can ask the platform to look at this decision again."
    return {
        "action": action,
        "content_id": content_id,
        "account_id": account_id,
        "case_id": case.id,
        "policy": policy.value if policy else None,
        "ground": ground,
        "illegal": policy in ILLEGAL if policy else None,
        "facts": explanation,
        "automated_detection": _detected_automatically(case),
        "automated_decision": automated,
        "decided_by": "automated" if automated else "human",
        "decided_at": rfc3339(now),
        "appeal": {
            "possible": not pending,
            "how": next_words,
            "endpoint": f"/v1/content/{content_id}/appeal" if appealable else None,
        },
        "text": f"{what} because of {ground}. It was decided by {how}. {next_words}",
    }
