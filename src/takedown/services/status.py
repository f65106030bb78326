"""What the reporter sees: the case's real state and history in plain words (DESIGN rule 8).

Never a generic "we're reviewing": each update names the step that happened and when.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from takedown.domain.vocabulary import CaseState, EventType
from takedown.services import case_log, thumbnails
from takedown.services.errors import NotFound
from takedown.services.reports import report_for_token
from takedown.store.models import Case, CaseEvent, ContentItem, Report


def when(at: datetime) -> str:
    return f"{at:%H:%M} UTC on {at.day} {at:%B %Y}"


def _when_text(value: object) -> str:
    """An RFC 3339 time from an event's data, in the same plain words as every other update."""
    try:
        return when(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class Update:
    at: datetime
    message: str


@dataclass(frozen=True)
class ReportedThing:
    """What a reporter is shown as the thing they report: never the platform's internal id.

    `title`: what the public sees it called; `excerpt`: the start of its registered text;
    `account`: set when the report is about an account; `url`: the link the reporter gave;
    `thumbnail`: a safe thumbnail may be shown to this reporter (services.thumbnails).
    """

    title: str | None = None
    excerpt: str | None = None
    account: str | None = None
    url: str | None = None
    thumbnail: bool = False

    @property
    def known(self) -> bool:
        return bool(self.title or self.excerpt or self.account or self.url)


EXCERPT_CHARS = 200


def describe(item: ContentItem | None, url: str | None = None) -> ReportedThing:
    """The reported item as the reporter knows it: its title and the start of its text."""
    if item is None:
        return ReportedThing(url=url)
    excerpt = None
    if item.text:
        words = " ".join(item.text.split())
        excerpt = words if len(words) <= EXCERPT_CHARS else words[:EXCERPT_CHARS].rstrip() + "…"
    return ReportedThing(title=item.title, excerpt=excerpt, url=url or item.url)


@dataclass(frozen=True)
class StatusView:
    report: Report
    case: Case
    content_state: str | None
    updates: list[Update]
    decision: dict[str, Any] | None
    can_appeal: bool
    reported: ReportedThing = ReportedThing()


def _message(event: CaseEvent, report: Report, case: Case) -> str | None:
    """The reporter's words for one event, or None for events that are staff-only."""
    data = event.data
    kind = EventType(event.type)
    if kind is EventType.REPORT:
        if data.get("report_id") == report.id:
            return _received(data, None)
        return "Someone else also reported this content; their report joined your case."
    if kind is EventType.RESTRICT:
        return (
            f"{_which(data, report)} was hidden from public view while a trained reviewer "
            "looks at it."
        )
    if kind is EventType.PRIORITY:
        if data.get("reopened"):
            return "Your case was reopened for a new review."
        return (
            "Your case was made more urgent; the decision is now due by "
            f"{_when_text(data.get('deadline_at'))}."
        )
    if kind is EventType.ESCALATE and data.get("clock") == "take_it_down":
        return (
            "Half of the TAKE IT DOWN Act's 48 hours for removing the content have passed; "
            "your case was raised to senior reviewers and administrators."
        )
    if kind is EventType.ESCALATE and data.get("raised_to") == "legal":
        return (
            "The report to NCMEC's CyberTipline has not gone through yet; our legal team was "
            "alerted and will make sure it is filed."
        )
    if kind is EventType.ESCALATE:
        return "Your case is close to its decision deadline and was passed to senior reviewers."
    if kind is EventType.BREACH and data.get("clock") == "take_it_down":
        return (
            "The TAKE IT DOWN Act's 48 hours passed before the content was removed. Your case "
            "was raised to the platform's administrators, who must remove it now."
        )
    if kind is EventType.BREACH:
        return (
            "The decision deadline passed without a decision. Your case was raised to the "
            "platform's administrators, who must act on it now."
        )
    if kind is EventType.DECIDE:
        if data.get("final") is False:
            return "A first decision was made; a senior reviewer must confirm it."
        outcome = "breaks" if data.get("outcome") == "violating" else "does not break"
        return f"A reviewer decided the content {outcome} the rules: {data.get('reason')}"
    if kind is EventType.APPEAL:
        return "An appeal was received; a senior reviewer who did not decide before will look."
    if kind is EventType.ACTION:
        action = data.get("action")
        which = _which(data, report)
        suspended = (
            "The account you reported was suspended."
            if report.account_id and data.get("account_id") == report.account_id
            else "The account that posted it was suspended."
        )
        messages = {
            "removed": f"{which} was removed from the platform.",
            "restored": f"{which} was made visible again.",
            "suspended": suspended,
            "account_restored": "The suspension of the account that posted it was lifted.",
            "strike": "The account that posted it was given a strike under the platform's rules.",
        }
        return messages.get(str(action))
    if kind is EventType.FILE:
        if data.get("status") == "queued":
            return "A report to NCMEC's CyberTipline, which works with police, is being filed."
        if data.get("status") == "accepted":
            return "The case was reported to NCMEC's CyberTipline, which works with police."
        return None
    return None


# What the reporter is told their report's urgency means, instead of "priority P0".
URGENCY = {
    "P0": "It is among the most urgent reports we handle; a trained reviewer will look at it "
    "within the hour.",
    "P1": "It is urgent; a trained reviewer will look at it within hours.",
    "P2": "A trained reviewer will look at it within a day.",
    "P3": "A trained reviewer will look at it within a few days.",
}


def _received(data: dict[str, Any], already: str | None) -> str:
    """The reporter's own report, in plain words; `already`: what had happened before it."""
    if already and "removed" in already:
        # Nothing left for a reviewer to hide: say so, not "a reviewer will look at it".
        received = f"We received your report. {already}"
    else:
        urgency = URGENCY.get(str(data.get("priority")), URGENCY["P3"])
        received = " ".join(filter(None, ["We received your report.", already, urgency]))
    if data.get("take_it_down"):
        received += (
            " Your removal request under the TAKE IT DOWN Act is valid: the content "
            f"must be removed by {_when_text(data.get('removal_due_at'))}, and "
            "identical copies too."
        )
    return received


def _which(data: dict[str, Any], report: Report) -> str:
    """The item an event acted on, as the reporter knows it: theirs, or a copy of it."""
    if report.content_id and data.get("content_id") == report.content_id:
        return "The content you reported"
    if report.account_id and not report.content_id and not report.url:
        return "An item posted by the account you reported"
    if report.content_id or report.url:
        return "A copy of the content you reported"
    return "The content"


def _received_after(prior: list[CaseEvent], report: Report) -> str | None:
    """What had already happened to the item when this report came: told with "received",
    never listed before it (issue 13: "hidden" came before "received" on a parent's page)."""
    acted = [e for e in prior if e.data.get("content_id") in (report.content_id, None)]
    if any(e.type == EventType.ACTION and e.data.get("action") == "removed" for e in acted):
        return "The content had already been removed from the platform when you reported it."
    if any(e.type == EventType.RESTRICT for e in acted):
        return "The content was already hidden from public view when you reported it."
    return None


def update_message(event: CaseEvent, report: Report) -> str | None:
    """The reporter's words for one event: the status page and the update emails share them."""
    return _message(event, report, report.case)


def status_for_token(session: Session, token: str) -> StatusView:
    report = report_for_token(session, token)
    if report is None:
        raise NotFound("no report with this status link", "status_not_found")
    case = report.case
    updates: list[Update] = []
    history = case_log.history(session, case.id)
    mine = next(
        (e for e in history if e.type == EventType.REPORT and e.data.get("report_id") == report.id),
        None,
    )
    # Steps before this report belong to other reporters; what they did to the item is told
    # in the "received" update, so the story starts with this reporter's own report.
    prior = [e for e in history if mine is not None and e.seq < mine.seq]
    for event in history:
        if event in prior:
            continue
        message = _message(event, report, case)
        if event is mine:
            message = _received(event.data, _received_after(prior, report))
        if message:
            updates.append(Update(at=event.at, message=message))
    if case.state in (CaseState.OPEN, CaseState.ESCALATED, CaseState.APPEALED):
        # The latest word while waiting: when the decision is due, not a step already passed.
        updates.append(
            Update(
                at=max([u.at for u in updates] + [report.created_at]),
                message=f"A decision is due by {when(case.deadline_at)}.",
            )
        )
    # Stable: steps at the same moment keep the order they happened in.
    updates.sort(key=lambda u: u.at)
    decision = _decision(session, case)
    item_states = [link.item.state for link in case.links]
    content_state = _reported_item_state(report, case) or (item_states[0] if item_states else None)
    can_appeal = (
        decision is not None
        and decision["outcome"] == "not_violating"
        and (case.state in (CaseState.DECIDED, CaseState.CLOSED))
    )
    reported = replace(_reported_thing(report, case), thumbnail=thumbnails.shown(session, report))
    return StatusView(report, case, content_state, updates, decision, can_appeal, reported)


def _reported_thing(report: Report, case: Case) -> ReportedThing:
    if report.account_id and not (report.content_id or report.url):
        return ReportedThing(account=report.account_id)
    item = next(
        (
            link.item
            for link in case.links
            if link.item.content_id == report.content_id
            or (report.url and link.item.url == report.url)
        ),
        None,
    )
    return describe(item, report.url)


def _reported_item_state(report: Report, case: Case) -> str | None:
    for link in case.links:
        if link.item.content_id == report.content_id:
            return link.item.state
    return None


def _decision(session: Session, case: Case) -> dict[str, Any] | None:
    final = [
        e
        for e in case_log.history(session, case.id)
        if e.type == EventType.DECIDE and e.data.get("final", True)
    ]
    if not final or case.state not in (CaseState.DECIDED, CaseState.CLOSED):
        return None
    last = final[-1]
    return {
        "outcome": last.data.get("outcome"),
        "reason": last.data.get("reason"),
        "decided_at": last.at,
    }
