"""Turning stored rows into the contract's JSON. One shape per thing, whoever asks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.services import account_cases, case_log, possible_copies
from takedown.services.content import SignalValue
from takedown.services.evidence import evidence_json
from takedown.services.filing import filing_json
from takedown.services.measures import measures_json
from takedown.services.take_it_down import clock_json
from takedown.store.models import Case, CaseEvent, ContentItem, ContentSignal


def signals_of(item: ContentItem) -> dict[str, Any]:
    return signals_json(item.signals)


def signals_json(rows: Iterable[ContentSignal | SignalValue]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in rows:
        if s.signal == "pdq_dihedral":  # index-only: the mirrored and rotated variants
            continue
        if s.signal == "vpdq":
            out["vpdq"] = json.loads(s.value)
        else:
            out[s.signal] = s.value
        if s.signal == "pdq" and s.quality is not None:
            out["pdq_quality"] = s.quality
    return out


def event_json(event: CaseEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "seq": event.seq,
        "type": event.type,
        "actor": event.actor,
        "at": rfc3339(event.at),
        "data": event.data,
    }


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "state": case.state,
        "priority": case.priority,
        "category": case.category,
        "child_safety": case.child_safety,
        "opened_at": rfc3339(case.opened_at),
        "deadline_at": rfc3339(case.deadline_at),
        "escalated_at": rfc3339(case.escalated_at) if case.escalated_at else None,
        "breached": case.breached_at is not None,
        "content_ids": [link.item.content_id for link in case.links],
        "report_count": len(case.reports),
        "subject_account_id": case.subject_account_id,
    }


def case_detail(session: Session, case: Case) -> dict[str, Any]:
    events = case_log.history(session, case.id)
    return {
        **case_summary(case),
        "breached_at": rfc3339(case.breached_at) if case.breached_at else None,
        "decided_at": rfc3339(case.decided_at) if case.decided_at else None,
        "reports": [
            {
                "report_id": r.id,
                "source": r.source,
                "content_id": r.content_id,
                "url": r.url,
                "account_id": r.account_id,
                "category": r.category,
                "reporter_role": r.reporter_role,
                "depicts_minor": r.depicts_minor,
                "statement": r.statement,
                "priority": r.priority,
                # Forwarded by the platform with its key: only then is the account believed.
                "forwarded": r.forwarded_by is not None,
                "created_at": rfc3339(r.created_at),
            }
            for r in case.reports
        ],
        "content": [
            {
                "content_id": link.item.content_id,
                "account_id": link.item.account_id,
                "url": link.item.url,
                "state": link.item.state,
                "linked_because": link.reason,
                "linked_at": rfc3339(link.linked_at),
                "signals": signals_of(link.item),
                "kind": link.item.kind,
                "text": link.item.text,
            }
            for link in case.links
        ],
        "subject_account": subject_account_json(session, case),
        "matches": [e.data for e in events if e.type == "match"],
        # Media sharing only a stretch with the case's: for the reviewer, never acted on alone.
        "possible_copies": possible_copies.proposals(session, case),
        # After the decision: the CyberTipline filing, the TAKE IT DOWN clock, evidence kept.
        "filing": filing_json(session, case.id),
        "take_it_down": clock_json(case),
        "evidence": evidence_json(session, case),
        "measures": measures_json(session, case),
        "events": [event_json(e) for e in events],
    }


def subject_account_json(session: Session, case: Case) -> dict[str, Any] | None:
    """For a case about an account: the account, its registered items and its cases."""
    subject = account_cases.subject_of(session, case)
    if subject is None:
        return None
    return {
        "account_id": subject.account_id,
        "state": subject.state,
        "items": [
            {
                "content_id": item.content_id,
                "kind": item.kind,
                "state": item.state,
                "url": item.url,
                "text": item.text,
                "registered_at": rfc3339(item.created_at),
            }
            for item in subject.items
        ],
        "cases": [
            {"case_id": c.id, "state": c.state, "priority": c.priority, "category": c.category}
            for c in subject.other_cases
        ],
    }
