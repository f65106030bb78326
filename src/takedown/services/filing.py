"""Filing the CyberTipline report for every case decided `csam` (DESIGN rule 7).

In the case behind this project the report reached NCMEC only after a federal agent called.
Here the decision itself opens a filing (`open_filing`) and queues the `filing.send` job. The
job performs the Reporting API's steps and commits the result of each step before the next,
so a retried job resumes where the last attempt stopped: one NCMEC report id per case, each
file uploaded once. Failures are retried with back-off for TAKEDOWN_NCMEC_RETRY_DAYS (30); a
filing that cannot be sent (invalid data, refused, not configured, failing for a day, or out
of time) is escalated to role `legal` with an event and a `case.escalated` webhook.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from takedown.clock import rfc3339
from takedown.config import Settings
from takedown.cybertipline.client import CyberTiplineClient, CyberTiplineError
from takedown.cybertipline.report import (
    INCIDENT_CHILD_PORNOGRAPHY,
    INDUSTRY_CLASSIFICATIONS,
    FileDetails,
    IncidentReport,
    Reporter,
    file_details_xml,
    report_xml,
)
from takedown.cybertipline.schema import (
    InvalidDocument,
    validate_file_details,
    validate_report,
)
from takedown.domain.vocabulary import EventType, ReporterRole
from takedown.outbox.queue import enqueue
from takedown.services import case_log, evidence
from takedown.services.installation import settings_of
from takedown.store.database import transaction
from takedown.store.filings import EvidenceRecord, Filing, FilingFile
from takedown.store.models import Case, ContentItem
from takedown.store.types import new_id

SEND = "filing.send"
ACTOR = "system:cybertipline"
# Transient failures for this long bring a person in, well before the retry window ends.
ESCALATE_AFTER = timedelta(hours=24)
FINAL = ("accepted", "failed", "invalid")


class FilingProblem(Exception):
    """Why an attempt stopped. `retry`: try again later; `escalate`: a person must act now."""

    def __init__(self, message: str, retry: bool = True, escalate: bool = False) -> None:
        super().__init__(message)
        self.retry = retry
        self.escalate = escalate


# -- opening ----------------------------------------------------------------------------------


def filing_for_case(session: Session, case_id: str) -> Filing | None:
    return session.scalars(select(Filing).where(Filing.case_id == case_id)).first()


def open_filing(session: Session, case: Case, actor: str, now: datetime) -> Filing:
    """The case's filing, created and queued once however often the decision is applied."""
    filing = filing_for_case(session, case.id)
    if filing is not None:
        return filing
    filing = Filing(
        id=new_id("fil"),
        case_id=case.id,
        status="pending",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(filing)
    session.flush()
    enqueue(session, SEND, {"filing_id": filing.id}, now, dedupe_key=f"{SEND}:{filing.id}")
    case_log.record(
        session,
        case,
        EventType.FILE,
        actor,
        now,
        {"status": "queued", "filing_id": filing.id, "ncmec_report_id": None},
    )
    return filing


# -- what the report says ---------------------------------------------------------------------


def _reporter(settings: Settings) -> Reporter:
    first, _, last = settings.ncmec_reporter_name.strip().partition(" ")
    return Reporter(first_name=first, last_name=last.strip(), email=settings.ncmec_reporter_email)


def build_report(session: Session, case: Case, settings: Settings) -> IncidentReport:
    items = [link.item for link in case.links]
    reports = list(case.reports)
    roles = sorted({r.reporter_role for r in reports})
    incident_at = min((i.created_at for i in items), default=case.opened_at)
    info = (
        f"Takedown case {case.id}: {len(reports)} report(s) ({', '.join(roles) or 'bank match'}); "
        f"decided as child sexual abuse material"
        f"{' on ' + rfc3339(case.decided_at) if case.decided_at else ''}; "
        f"{len(items)} copy(ies) removed and the uploading accounts suspended."
    )
    return IncidentReport(
        incident_type=INCIDENT_CHILD_PORNOGRAPHY,
        incident_at=incident_at,
        reporter=_reporter(settings),
        urls=tuple(sorted({i.url for i in items if i.url})),
        reported_accounts=tuple(sorted({i.account_id for i in items})),
        victim_accounts=tuple(
            sorted(
                {
                    r.reporter_account_id
                    for r in reports
                    if r.reporter_role == ReporterRole.DEPICTED_PERSON and r.reporter_account_id
                }
            )
        ),
        additional_info=info,
    )


def _file_name(content_id: str, media_type: str | None) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", content_id)[:200] or "file"
    return stem + (mimetypes.guess_extension(media_type or "") or ".bin")


def build_file_details(
    session: Session, case: Case, record: EvidenceRecord, item: ContentItem
) -> FileDetails:
    events = case_log.history(session, case.id)
    viewed = any(
        (e.type == EventType.REVEAL and e.data.get("content_id") == item.content_id)
        or (
            e.type == EventType.EVIDENCE
            and e.data.get("action") == "accessed"
            and e.data.get("purpose") == "review"
            and e.data.get("content_id") == item.content_id
        )
        for e in events
    )
    decisions = [e for e in events if e.type == EventType.DECIDE and e.data.get("final", True)]
    classification = decisions[-1].data.get("industry_classification") if decisions else None
    self_produced = any(r.category == "sextortion" for r in case.reports)
    hashes = {"MD5": record.md5 or "", "SHA256": record.sha256 or ""}
    return FileDetails(
        original_file_name=_file_name(item.content_id, record.media_type),
        file_viewed_by_esp=viewed,
        publicly_available=bool(item.url),
        hashes={k: v for k, v in hashes.items() if v},
        industry_classification=(
            classification if classification in INDUSTRY_CLASSIFICATIONS else None
        ),
        annotations=("possibleSelfProduction",) if self_produced else (),
        additional_info=(
            f"Platform content id {item.content_id}, account {item.account_id}, "
            f"registered {rfc3339(item.created_at)}."
        ),
    )


# -- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStep:
    row_id: int
    evidence_id: str
    content_id: str
    file_name: str
    media_type: str
    md5: str | None
    details: FileDetails
    ncmec_file_id: str | None
    described: bool


@dataclass(frozen=True)
class Plan:
    filing_id: str
    report_id: str | None
    report_xml: str
    files: list[FileStep]
    settings: Settings


def send_filing(
    sessions: sessionmaker[Session], payload: dict[str, Any], now: datetime, http: httpx.Client
) -> None:
    """The `filing.send` job. Raises to be retried; returns once accepted or given up."""
    filing_id = payload["filing_id"]
    try:
        plan = _prepare(sessions, filing_id, now)
        if plan is None:
            return
        _run(sessions, plan, now, http)
    except CyberTiplineError as exc:
        problem = FilingProblem(str(exc), retry=True, escalate=exc.rejected)
        if _record_failure(sessions, filing_id, now, problem):
            raise problem from exc
    except InvalidDocument as exc:
        problem = FilingProblem(f"the report is not valid: {exc}", retry=False, escalate=True)
        _record_failure(sessions, filing_id, now, problem)
    except FilingProblem as problem:
        if _record_failure(sessions, filing_id, now, problem):
            raise


def _prepare(sessions: sessionmaker[Session], filing_id: str, now: datetime) -> Plan | None:
    with transaction(sessions) as session:
        filing = session.get(Filing, filing_id)
        if filing is None or filing.status in FINAL:
            return None
        settings = settings_of(session)
        if not settings.ncmec_url:
            raise FilingProblem(
                "TAKEDOWN_NCMEC_URL is not set: the report cannot be sent", escalate=True
            )
        case = session.get(Case, filing.case_id)
        assert case is not None
        records = {
            link.item_id: evidence.record_for_item(session, link.item_id) for link in case.links
        }
        if filing.ncmec_report_id is None:
            waiting = [r.content_id for r in records.values() if r and r.status == "pending"]
            if waiting:
                raise FilingProblem(f"evidence still being captured for {', '.join(waiting)}")
            document = report_xml(build_report(session, case, settings))
            validate_report(document)
            filing.report_xml = document
            known = {f.evidence_id for f in filing.files}
            for record in records.values():
                if record and record.status == "stored" and record.id not in known:
                    session.add(
                        FilingFile(
                            filing_id=filing.id, evidence_id=record.id, content_id=record.content_id
                        )
                    )
            session.flush()
            session.refresh(filing)
        steps = []
        for row in filing.files:
            record = session.get(EvidenceRecord, row.evidence_id)
            item = session.get(ContentItem, record.item_id) if record else None
            if record is None or item is None:
                continue
            details = build_file_details(session, case, record, item)
            # Checked before the report is opened, so a report is never left half-filed.
            validate_file_details(file_details_xml("0", "0", details))
            steps.append(
                FileStep(
                    row_id=row.id,
                    evidence_id=record.id,
                    content_id=row.content_id,
                    file_name=details.original_file_name,
                    media_type=record.media_type or "application/octet-stream",
                    md5=record.md5,
                    details=details,
                    ncmec_file_id=row.ncmec_file_id,
                    described=row.details_sent_at is not None,
                )
            )
        return Plan(filing.id, filing.ncmec_report_id, filing.report_xml or "", steps, settings)


def _run(sessions: sessionmaker[Session], plan: Plan, now: datetime, http: httpx.Client) -> None:
    settings = plan.settings
    client = CyberTiplineClient(
        settings.ncmec_url, settings.ncmec_username, settings.ncmec_password, http
    )
    report_id = plan.report_id
    if report_id is None:
        report_id = client.submit(plan.report_xml)
        with transaction(sessions) as session:
            filing = session.get(Filing, plan.filing_id)
            assert filing is not None
            filing.ncmec_report_id = report_id
            filing.status = "submitted"
            filing.submitted_at = now
            filing.updated_at = now
            _file_event(session, filing, now, "submitted")
    for step in plan.files:
        file_id = step.ncmec_file_id
        if file_id is None:
            with transaction(sessions) as session:
                record = session.get(EvidenceRecord, step.evidence_id)
                assert record is not None
                data = evidence.read_for_filing(session, record, ACTOR, now)
            uploaded = client.upload(report_id, step.file_name, data, step.media_type)
            if uploaded.md5 and step.md5 and uploaded.md5.lower() != step.md5:
                raise CyberTiplineError(f"upload of {step.content_id}: NCMEC's hash differs")
            file_id = uploaded.file_id
            with transaction(sessions) as session:
                row = session.get(FilingFile, step.row_id)
                assert row is not None
                row.ncmec_file_id = file_id
                row.uploaded_at = now
        if not step.described:
            document = file_details_xml(report_id, file_id, step.details)
            validate_file_details(document)
            client.file_info(document)
            with transaction(sessions) as session:
                row = session.get(FilingFile, step.row_id)
                assert row is not None
                row.details_sent_at = now
    held = client.finish(report_id)
    with transaction(sessions) as session:
        filing = session.get(Filing, plan.filing_id)
        assert filing is not None
        filing.attempts += 1
        filing.status = "accepted"
        filing.finished_at = now
        filing.updated_at = now
        filing.last_error = None
        files = [{"content_id": f.content_id, "file_id": f.ncmec_file_id} for f in filing.files]
        _file_event(session, filing, now, "accepted", {"files": files, "ncmec_files": held})
        case = session.get(Case, filing.case_id)
        assert case is not None
        evidence.update_retention(session, [link.item_id for link in case.links], now)


def _record_failure(
    sessions: sessionmaker[Session], filing_id: str, now: datetime, problem: FilingProblem
) -> bool:
    """Note the failure; escalate when a person is needed. Returns whether to retry."""
    with transaction(sessions) as session:
        filing = session.get(Filing, filing_id)
        if filing is None:
            return False
        settings = settings_of(session)
        filing.attempts += 1
        filing.last_error = str(problem)[:2000]
        filing.updated_at = now
        if not problem.retry:
            filing.status = "invalid"
            _escalate(session, filing, now, "invalid")
            return False
        if now - filing.created_at >= timedelta(days=settings.ncmec_retry_days):
            filing.status = "failed"
            _escalate(session, filing, now, "gave_up", again=True)
            return False
        if problem.escalate or now - filing.created_at >= ESCALATE_AFTER:
            _escalate(session, filing, now, "failing")
        return True


def _escalate(
    session: Session, filing: Filing, now: datetime, why: str, again: bool = False
) -> None:
    """Bring role `legal` in: an event on the case and a `case.escalated` webhook."""
    if filing.escalated_at is not None and not again:
        return
    filing.escalated_at = now
    case = session.get(Case, filing.case_id)
    assert case is not None
    reason = f"cybertipline_filing_{why}"
    event = case_log.record(
        session,
        case,
        EventType.ESCALATE,
        ACTOR,
        now,
        {
            "reason": reason,
            "raised_to": "legal",
            "filing_id": filing.id,
            "status": filing.status,
            "error": filing.last_error,
        },
    )
    case_log.announce_escalation(session, event, case, reason, rfc3339(case.deadline_at))


def _file_event(
    session: Session,
    filing: Filing,
    now: datetime,
    status: str,
    extra: dict[str, Any] | None = None,
) -> None:
    case = session.get(Case, filing.case_id)
    assert case is not None
    data = {"status": status, "filing_id": filing.id, "ncmec_report_id": filing.ncmec_report_id}
    case_log.record(session, case, EventType.FILE, ACTOR, now, {**data, **(extra or {})})


def filing_json(session: Session, case_id: str) -> dict[str, Any] | None:
    """The filing as staff see it on the case (GET /v1/cases/{id})."""
    filing = filing_for_case(session, case_id)
    if filing is None:
        return None
    return {
        "filing_id": filing.id,
        "status": filing.status,
        "ncmec_report_id": filing.ncmec_report_id,
        "attempts": filing.attempts,
        "last_error": filing.last_error,
        "created_at": rfc3339(filing.created_at),
        "submitted_at": rfc3339(filing.submitted_at) if filing.submitted_at else None,
        "finished_at": rfc3339(filing.finished_at) if filing.finished_at else None,
        "escalated_to_legal_at": rfc3339(filing.escalated_at) if filing.escalated_at else None,
        "files": [
            {
                "content_id": f.content_id,
                "ncmec_file_id": f.ncmec_file_id,
                "details_sent": f.details_sent_at is not None,
            }
            for f in filing.files
        ],
    }
