"""Appending to a case's history, and announcing the steps the platform must act on.

Every change to a case goes through `record`, so the history is complete by construction
(Ozone's model: the case row is what its events add up to; domain.case_projection). A webhook
delivery carries the id of the event that caused it, so the platform can de-duplicate and we can
trace every delivery.

`record` takes the case fields an event sets as `changes` and writes them through
`case_projection.apply`. A field a caller set on the row directly since the last event is folded
into the next event's changes, so the log stays complete; `unrecorded_changes` finds a row
changed with no event after it (a bug: tests check for it, and `takedown audit verify` finds
its trace). Events are chained by hash per case, and appending takes the case row's lock.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import select, update
from sqlalchemy.orm import InstanceState, Session
from sqlalchemy.orm.attributes import instance_state

from takedown.clock import rfc3339
from takedown.domain import case_projection, on_call
from takedown.domain.case_projection import CaseFields
from takedown.domain.vocabulary import EventType, WebhookType
from takedown.services import case_reports, dsa_submission, fresh_cases, measures
from takedown.services.notifications import NOTIFY_EMAIL_JOB
from takedown.services.webhooks import WEBHOOK_DELIVERY_JOB
from takedown.store.models import Case, CaseEvent, Webhook
from takedown.store.new_rows import new_row
from takedown.store.types import new_id

# The kinds of event the reporter's status page can show; the email says the same words
# (services.status.update_message), so only these are worth queuing.
REPORTER_VISIBLE = frozenset(
    {
        EventType.REPORT,
        EventType.RESTRICT,
        EventType.PRIORITY,
        EventType.ESCALATE,
        EventType.BREACH,
        EventType.DECIDE,
        EventType.APPEAL,
        EventType.ACTION,
        EventType.FILE,
    }
)


def record(
    session: Session,
    case: Case,
    type: EventType,
    actor: str,
    at: datetime,
    data: dict[str, Any] | None = None,
    changes: CaseFields | None = None,
) -> CaseEvent:
    """Append one event to the case's chain and apply what it changes to the case row."""
    # Writing the case row's head first takes its lock (a row lock on PostgreSQL, the write
    # lock on SQLite), so appends to one case take turns and two writers never fork the chain;
    # it reads the head as committed, not as loaded.
    if fresh_cases.opened_here(session, case):
        # A case this transaction opened is invisible to every other writer until it
        # commits: the head held here is the committed one, and no lock is needed to read it.
        seq, head_hash = (case.event_seq or 0) + 1, case.event_hash or ""
    else:
        seq, head_hash = session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(event_seq=Case.event_seq + 1)
            .returning(Case.event_seq, Case.event_hash)
            .execution_options(synchronize_session=False)
        ).one()
    # The first event carries the state the case was opened with; later ones what changed.
    folded = case_projection.diff(_baseline(case), case_projection.snapshot(case))
    stored_changes = case_projection.encode({**folded, **(changes or {})})
    # A JSON round trip stores exactly what will be read back and hashed again.
    stored_data = json.loads(case_projection.canonical(data or {}))
    fields = case_projection.event_fields(
        new_id("evt"), case.id, seq, type.value, actor, at, stored_data, stored_changes
    )
    digest = case_projection.link_hash(head_hash, fields)
    event = new_row(
        CaseEvent,
        id=fields["id"],
        case_id=case.id,
        seq=seq,
        type=type.value,
        actor=actor,
        at=at,
        data=stored_data,
        changes=stored_changes,
        prev_hash=head_hash,
        hash=digest,
    )
    session.add(event)
    fresh_cases.note_event(session, case, event)
    case_projection.apply(case, stored_changes, at)
    case.event_seq = seq
    case.event_hash = digest
    _set_baseline(case)
    # A case opened here is seen by no one else before commit, and the session autoflushes
    # before any query of its own: its rows go out in the commit's one flush (issue 15).
    if not fresh_cases.opened_here(session, case):
        session.flush()
    if type in REPORTER_VISIBLE:
        _queue_update_emails(session, case, event)
    # The case's measures are a projection of its events too (issue 14), and a restrictive
    # decision owes a statement of reasons to the EU's database when that is configured.
    measures.refresh(session, case, at)
    dsa_submission.queue_statement(session, event)
    return event


_BASELINE = "case_log.recorded"


def _baseline(case: Case) -> dict[str, Any]:
    """The case's projected fields as its last event left them (empty for a new case)."""
    state: InstanceState[Case] = instance_state(case)
    recorded: dict[str, Any] = state.info.get(_BASELINE, {})
    return recorded


def _set_baseline(case: Case) -> None:
    instance_state(case).info[_BASELINE] = dict(case_projection.snapshot(case))


@orm_event.listens_for(Case, "load")
def _loaded(case: Case, _context: object) -> None:
    # A case read from the database is as its events left it.
    instance_state(case).info[_BASELINE] = {
        name: case.__dict__.get(name) for name in case_projection.FIELDS
    }


@orm_event.listens_for(Case, "refresh")
def _refreshed(case: Case, _context: object, _attrs: object) -> None:
    state: InstanceState[Case] = instance_state(case)
    state.info.setdefault(_BASELINE, {}).update(
        {name: case.__dict__[name] for name in case_projection.FIELDS if name in case.__dict__}
    )


def unrecorded_changes(session: Session) -> dict[str, CaseFields]:
    """Cases in `session` whose row was changed with no event recorded since: by case id."""
    found: dict[str, CaseFields] = {}
    for obj in list(session.identity_map.values()) + list(session.new):
        if isinstance(obj, Case):
            loaded = instance_state(obj).info.get(_BASELINE)
            if loaded is None:
                found[obj.id] = case_projection.snapshot(obj)
                continue
            drift = case_projection.diff(loaded, case_projection.snapshot(obj))
            if drift:
                found[obj.id] = drift
    return found


def _queue_update_emails(session: Session, case: Case, event: CaseEvent) -> None:
    """Reporters who gave an address hear of each step as it is recorded (DESIGN rule 8).

    A new report is news to its own reporter and, once, to the reporter before it: each
    reporter hears by e-mail that someone else joined their case, and the status page lists
    every later report. Telling everyone of every report sent n e-mails for the n-th report
    on a viral item, O(n²) in all (issue 15).
    """
    if event.type == EventType.REPORT.value:
        recipients = case_reports.contact_report_ids(
            session, case, among=_new_and_previous_report(session, case, event)
        )
    else:
        recipients = case_reports.contact_report_ids(session, case)
    for report_id in recipients:
        NOTIFY_EMAIL_JOB.enqueue(
            session,
            {"report_id": report_id, "event_id": event.id},
            event.at,
            dedupe_key=f"email:{report_id}:{event.id}",
            key_is_new=True,
        )


def _new_and_previous_report(session: Session, case: Case, event: CaseEvent) -> set[str]:
    """The report a REPORT event records, and the one the case's previous REPORT event did."""
    reports = {str(event.data.get("report_id"))}
    held = fresh_cases.events(session, case)
    if held is not None:
        earlier = [e for e in held if e.type == EventType.REPORT.value and e.seq < event.seq]
        previous = earlier[-1].data if earlier else None
    else:
        previous = session.scalars(
            select(CaseEvent.data)
            .where(
                CaseEvent.case_id == case.id,
                CaseEvent.type == EventType.REPORT.value,
                CaseEvent.seq < event.seq,
            )
            .order_by(CaseEvent.seq.desc())
            .limit(1)
        ).first()
    if previous and previous.get("report_id"):
        reports.add(str(previous["report_id"]))
    return reports


def announce(session: Session, event: CaseEvent, type: WebhookType, data: dict[str, Any]) -> None:
    """Queue a signed delivery of `event` to every active webhook endpoint."""
    body = {
        "id": event.id,
        "type": type.value,
        "created_at": rfc3339(event.at),
        "data": data,
    }
    # Endpoints are not written here: reading them needs no flush of the case's new rows.
    with session.no_autoflush:
        hooks = list(session.scalars(select(Webhook).where(Webhook.active.is_(True))))
    for hook in hooks:
        WEBHOOK_DELIVERY_JOB.enqueue(
            session,
            {"webhook_id": hook.id, "body": body},
            event.at,
            dedupe_key=f"webhook:{hook.id}:{event.id}",
            # Every caller announces an event it has just recorded (or made up, announce_item).
            key_is_new=True,
        )


def announce_escalation(
    session: Session, event: CaseEvent, case: Case, reason: str, deadline_at: str | None
) -> None:
    """Queue the `case.escalated` webhook for `event`: the case, the deadline it is escalated
    against (RFC 3339, or None) and its first item, so the platform can find what is at stake;
    the roles that must act (the event's `raised_to`), the action needed, and the reviewer
    holding the case, so an on-call system can page the right person."""
    first = case.links[0].item if case.links else None
    announce(
        session,
        event,
        WebhookType.CASE_ESCALATED,
        {
            "case_id": case.id,
            "priority": case.priority,
            "deadline_at": deadline_at,
            "reason": reason,
            "content_id": first.content_id if first else None,
            "account_id": first.account_id if first else None,
            # On call (issue 14): who must act, what they must do, and who holds the case.
            "raised_to": on_call.roles_to_act((event.data or {}).get("raised_to")),
            "action_needed": on_call.action_needed(reason, case.priority, deadline_at),
            "assigned_to": _holder(session, case.id),
        },
    )


def _holder(session: Session, case_id: str) -> str | None:
    """The reviewer who claimed the case last and has not released it, from the history."""
    holder = None
    for event in history(session, case_id):
        if event.type == EventType.ASSIGN:
            holder = event.actor
        elif event.type in (EventType.RELEASE, EventType.DECIDE):
            holder = None
    return holder


def announce_item(session: Session, type: WebhookType, data: dict[str, Any], at: datetime) -> str:
    """Queue a notification about an item that belongs to no case (a held video released
    once its hashes matched nothing). Returns the delivery's event id."""
    event = CaseEvent(id=new_id("evt"), at=at)  # not stored: there is no case to append to
    announce(session, event, type, data)
    return event.id


def history(session: Session, case_id: str) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
        )
    )
