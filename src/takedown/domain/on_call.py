"""Who must act on an escalation, and why, in words a person paged at night can act on.

DESIGN rule 4: nothing waits in silence. A `case.escalated` webhook is what an on-call system
(the platform's pager) receives, so it names the roles that must act and the action needed,
not only a reason code.
"""

from __future__ import annotations

# The escalation events' `raised_to` words and the roles (API.md) they mean.
ROLES = {"leads": "lead", "admins": "admin", "legal": "legal"}


def roles_to_act(raised_to: str | None) -> list[str]:
    """`"leads, admins"` → `["lead", "admin"]`; unknown words are kept as they are."""
    if not raised_to:
        return ["lead"]
    words = [w.strip() for w in raised_to.split(",") if w.strip()]
    return list(dict.fromkeys(ROLES.get(w, w) for w in words))


def action_needed(reason: str, priority: str, due: str | None) -> str:
    """One sentence: what is late or failing, and what the person must do now."""
    by = f" by {due}" if due else ""
    if reason == "halfway":
        return f"{priority} case is past half its decision time: decide it{by}."
    if reason == "breached":
        return (
            f"{priority} case passed its decision deadline{' (' + due + ')' if due else ''} "
            "undecided: take it and decide now."
        )
    if reason == "take_it_down_halfway":
        return (
            f"TAKE IT DOWN Act request: the content must be removed{by}; "
            "half the 48 hours are gone."
        )
    if reason == "take_it_down_breached":
        return (
            "TAKE IT DOWN Act request: the 48-hour removal deadline has passed; remove the "
            "content now and record why it was late."
        )
    if reason.startswith("cybertipline_filing_"):
        state = reason.removeprefix("cybertipline_filing_").replace("_", " ")
        return (
            f"The CyberTipline report for this case is {state}: check the filing's last error "
            "and file it with NCMEC."
        )
    return f"{priority} case needs attention ({reason.replace('_', ' ')})."
