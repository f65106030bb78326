"""Filing the CyberTipline report for every reportable case (DESIGN rule 7, the REPORT Act):
cases decided `csam`, `trafficking`, and `grooming` or `sextortion` with a minor
(`domain.reportable`), with or without a file.

In the case behind this project the report reached NCMEC only after a federal agent called.
Here the decision itself opens a filing (`open_filing`) and queues the `filing.send` job. The
job performs the Reporting API's steps and commits the result of each step before the next,
so a retried job resumes where the last attempt stopped: one NCMEC report id per case, each
file uploaded once. Failures are retried with back-off for TAKEDOWN_NCMEC_RETRY_DAYS (30); a
filing that cannot be sent (invalid data, refused, not configured, failing for a day, or out
of time) is escalated to role `legal` with an event and a `case.escalated` webhook, and
`last_error` keeps the exact reason (the schema's error, or NCMEC's response code and text)
with what to fix; `retry_filing` is legal's action once it is fixed.
"""

from __future__ import annotations

import json
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
    INDUSTRY_CLASSIFICATIONS,
    Account,
    FileDetails,
    IncidentReport,
    Message,
    Reporter,
    file_details_xml,
    report_xml,
)
from takedown.cybertipline.schema import (
    InvalidDocument,
    validate_file_details,
    validate_report,
)
from takedown.domain.reportable import Reportable, minor_involved, reportable
from takedown.domain.vocabulary import (
    MEDIA_KINDS,
    AccountState,
    EventType,
    ItemKind,
    Policy,
    ReporterRole,
)
from takedown.jobs import FILINGS, Job, JobContext, RetryPolicy
from takedown.services import case_log, evidence
from takedown.services.errors import Conflict, NotFound
from takedown.services.installation import installation_of
from takedown.store.database import transaction
from takedown.store.filings import EvidenceRecord, Filing, FilingFile
from takedown.store.models import Account as PlatformAccount
from takedown.store.models import Case, ContentItem
from takedown.store.types import new_id

SEND = "filing.send"
ACTOR = "system:cybertipline"
# Transient failures for this long bring a person in, well before the retry window ends.
ESCALATE_AFTER = timedelta(hours=24)
FINAL = ("accepted", "failed", "invalid")


class FilingProblem(Exception):
    """Why an attempt stopped. `retry`: try again later; `escalate`: a person must act now.
    `fix` says what legal should do; `ncmec_code`/`request_id` are NCMEC's, when it answered."""

    def __init__(
        self,
        message: str,
        retry: bool = True,
        escalate: bool = False,
        fix: str | None = None,
        ncmec_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retry = retry
        self.escalate = escalate
        self.fix = fix
        self.ncmec_code = ncmec_code
        self.request_id = request_id


def _fix_for_code(code: int | None) -> str:
    """What legal can do about NCMEC's answer (codes: Reporting API documentation, D.1)."""
    if code in (2000, 3000, 3100, 3300):
        return (
            "NCMEC refused our credentials or permissions: check TAKEDOWN_NCMEC_USERNAME and "
            "TAKEDOWN_NCMEC_PASSWORD (testing and production differ) or ask NCMEC to enable "
            "submissions, then retry the filing."
        )
    if code in (4000, 4100, 4110, 4200):
        return (
            "NCMEC's validator refused the document for the reason quoted: correct the case "
            "data it names (or report the defect in Takedown), then retry the filing. Quote the "
            "Request-ID when contacting NCMEC."
        )
    if code in (5001, 5101):
        return "NCMEC no longer holds the open report; retrying the filing submits it afresh."
    if code is not None and code < 2000:
        return "NCMEC's server failed; Takedown keeps retrying, or retry the filing now."
    return "The CyberTipline could not be reached; Takedown keeps retrying, or retry it now."


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
    SEND_JOB.enqueue(session, {"filing_id": filing.id}, now, dedupe_key=f"{SEND}:{filing.id}")
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


def reportable_case(case: Case, policy: Policy) -> Reportable | None:
    """What a `violating` decision under `policy` files with NCMEC for this case, if anything."""
    reports = list(case.reports)
    minor = minor_involved([r.category for r in reports], [bool(r.depicts_minor) for r in reports])
    return reportable(policy, minor)


def _decided_policy(session: Session, case: Case) -> Policy:
    decisions = [
        e
        for e in case_log.history(session, case.id)
        if e.type == EventType.DECIDE and e.data.get("final", True)
    ]
    value = decisions[-1].data.get("policy") if decisions else None
    return Policy(value) if value in {p.value for p in Policy} else Policy.CSAM


def _reporter(settings: Settings) -> Reporter:
    first, _, last = settings.ncmec_reporter_name.strip().partition(" ")
    return Reporter(first_name=first, last_name=last.strip(), email=settings.ncmec_reporter_email)


def _has_media(item: ContentItem) -> bool:
    return item.kind is None or item.kind in MEDIA_KINDS


def build_report(session: Session, case: Case, settings: Settings) -> IncidentReport:
    items = [link.item for link in case.links]
    reports = list(case.reports)
    roles = sorted({r.reporter_role for r in reports})
    policy = _decided_policy(session, case)
    what = reportable_case(case, policy) or reportable(Policy.CSAM, True)
    assert what is not None
    incident_at = min((i.created_at for i in items), default=case.opened_at)
    profiles = {i.account_id: i.text for i in items if i.kind == ItemKind.PROFILE.value and i.text}
    reported = []
    for account_id in sorted({i.account_id for i in items}):
        account = session.get(PlatformAccount, account_id)
        reported.append(
            Account(
                esp_identifier=account_id,
                profile_bio=profiles.get(account_id),
                disabled_at=account.suspended_at
                if account is not None and account.state == AccountState.SUSPENDED.value
                else None,
            )
        )
    victims = sorted(
        {
            r.reporter_account_id
            for r in reports
            if r.reporter_role == ReporterRole.DEPICTED_PERSON and r.reporter_account_id
        }
    )
    messages = tuple(
        Message(text=i.text, where=i.url)
        for i in items
        if not _has_media(i) and i.kind != ItemKind.PROFILE.value and i.text
    )
    info = (
        f"Takedown case {case.id}: {len(reports)} report(s) ({', '.join(roles) or 'bank match'}); "
        f"decided under policy {policy.value}"
        f"{' on ' + rfc3339(case.decided_at) if case.decided_at else ''}; "
        f"{len(items)} item(s) removed."
    )
    return IncidentReport(
        incident_type=what.incident_type,
        incident_at=incident_at,
        reporter=_reporter(settings),
        annotations=what.annotations,
        urls=tuple(sorted({i.url for i in items if i.url})),
        messages=messages,
        reported_accounts=tuple(reported),
        victims=tuple(Account(esp_identifier=v) for v in victims),
        additional_info=info,
    )


def _file_name(content_id: str, media_type: str | None) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", content_id)[:200] or "file"
    return stem + (mimetypes.guess_extension(media_type or "") or ".bin")


def build_file_details(
    session: Session, case: Case, record: EvidenceRecord, item: ContentItem
) -> FileDetails:
    events = case_log.history(session, case.id)
    # Viewed means a reviewer deliberately revealed it (DESIGN rule 9), not a blurred preview.
    viewed = any(
        e.type == EventType.REVEAL and e.data.get("content_id") == item.content_id for e in events
    )
    decisions = [e for e in events if e.type == EventType.DECIDE and e.data.get("final", True)]
    classification = decisions[-1].data.get("industry_classification") if decisions else None
    self_produced = any(r.category == "sextortion" for r in case.reports)
    hashes = {"MD5": record.md5 or "", "SHA256": record.sha256 or ""}
    pdq = [s.value for s in item.signals if s.signal == "pdq"]
    if pdq:
        hashes["PDQ"] = pdq[0]
    return FileDetails(
        original_file_name=_file_name(item.content_id, record.media_type),
        file_viewed_by_esp=viewed,
        # Kept from the upload itself means it was hidden before anyone could see it.
        publicly_available=bool(item.url) and record.source != "upload",
        uploaded_at=item.created_at,
        location=item.url,
        hashes={k: v for k, v in hashes.items() if v},
        industry_classification=(
            classification if classification in INDUSTRY_CLASSIFICATIONS else None
        ),
        annotations=("possibleSelfProduction",) if self_produced else (),
        additional_info=(
            f"Platform content id {item.content_id}, uploaded by account {item.account_id} "
            f"on {rfc3339(item.created_at)}."
            # The words posted with the file (a caption) are part of what was reported.
            + (f" Text posted with it: {item.text[:4000]}" if item.text else "")
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
        if exc.code in (5001, 5101):
            # NCMEC deleted or retracted the open report: the next attempt submits afresh.
            _forget_open_report(sessions, filing_id)
        problem = FilingProblem(
            str(exc),
            # A refused document stays refused: wait for legal rather than resend it.
            retry=exc.code not in (4000, 4100, 4110, 4200),
            escalate=exc.rejected,
            fix=_fix_for_code(exc.code),
            ncmec_code=exc.code,
            request_id=exc.request_id,
        )
        if _record_failure(sessions, filing_id, now, problem):
            raise problem from exc
    except InvalidDocument as exc:
        problem = FilingProblem(
            f"the report is not valid: {exc}", retry=False, escalate=True, fix=exc.fix
        )
        _record_failure(sessions, filing_id, now, problem)
    except FilingProblem as problem:
        if _record_failure(sessions, filing_id, now, problem):
            raise


def _forget_open_report(sessions: sessionmaker[Session], filing_id: str) -> None:
    with transaction(sessions) as session:
        filing = session.get(Filing, filing_id)
        if filing is None:
            return
        filing.ncmec_report_id = None
        filing.status = "pending"
        for row in filing.files:
            row.ncmec_file_id = None
            row.uploaded_at = None
            row.details_sent_at = None


def _prepare(sessions: sessionmaker[Session], filing_id: str, now: datetime) -> Plan | None:
    with transaction(sessions) as session:
        filing = session.get(Filing, filing_id)
        if filing is None or filing.status in FINAL:
            return None
        settings = installation_of(session).settings
        if not settings.ncmec_url:
            raise FilingProblem(
                "TAKEDOWN_NCMEC_URL is not set: the report cannot be sent",
                escalate=True,
                fix="Set TAKEDOWN_NCMEC_URL, TAKEDOWN_NCMEC_USERNAME and TAKEDOWN_NCMEC_PASSWORD "
                "to the CyberTipline Reporting API NCMEC gave you, then retry the filing.",
            )
        case = session.get(Case, filing.case_id)
        assert case is not None
        records = {
            link.item_id: evidence.record_for_item(session, link.item_id) for link in case.links
        }
        if filing.ncmec_report_id is None:
            # Text items (a message, a profile) have no media to wait for: their text is filed.
            media = {link.item_id for link in case.links if _has_media(link.item)}
            waiting = [
                r.content_id
                for item_id, r in records.items()
                if r and r.status == "pending" and item_id in media
            ]
            if waiting:
                raise FilingProblem(
                    f"evidence still being captured for {', '.join(waiting)}",
                    fix="Nothing to do yet: the filing goes out once the evidence is stored.",
                )
            document = report_xml(build_report(session, case, settings))
            validate_report(document)
            filing.report_xml = document
            known = {f.evidence_id for f in filing.files}
            # A message's preserved text is in the report itself, never uploaded as a file.
            for item_id, record in records.items():
                if (
                    record
                    and record.status == "stored"
                    and record.id not in known
                    and item_id in media
                ):
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
        settings = installation_of(session).settings
        filing.attempts += 1
        filing.last_error = json.dumps(
            {
                "reason": str(problem)[:4000],
                "fix": problem.fix or _fix_for_code(problem.ncmec_code),
                "ncmec_response_code": problem.ncmec_code,
                "request_id": problem.request_id,
            }
        )
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
            "error": problem_of(filing),
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
        "last_error": (problem_of(filing) or {}).get("reason"),
        # Why it is stuck and what legal should do; null once accepted.
        "problem": problem_of(filing) if filing.status != "accepted" else None,
        "can_retry": filing.status in ("invalid", "failed"),
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


def problem_of(filing: Filing) -> dict[str, Any] | None:
    """The last failure as legal reads it: `reason`, `fix`, `ncmec_response_code`, `request_id`."""
    if not filing.last_error:
        return None
    try:
        problem = json.loads(filing.last_error)
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        # Written before issue 12: the reason alone.
        return {"reason": filing.last_error, "fix": _fix_for_code(None)}
    return problem


def retry_filing(session: Session, case_id: str, actor: str, now: datetime) -> Filing:
    """Legal's action once the cause is fixed: send the filing again, from where it stopped."""
    filing = filing_for_case(session, case_id)
    if filing is None:
        raise NotFound(f"case {case_id} has no CyberTipline filing", "filing_not_found")
    if filing.status == "accepted":
        raise Conflict("the filing was already accepted by NCMEC", "filing_accepted")
    filing.status = "submitted" if filing.ncmec_report_id else "pending"
    filing.escalated_at = None
    filing.updated_at = now
    SEND_JOB.enqueue(session, {"filing_id": filing.id}, now, dedupe_key=f"{SEND}:{filing.id}:{now}")
    _file_event(session, filing, now, "retry_requested", {"requested_by": actor})
    return filing


def _run_send(ctx: JobContext, _session: Session, payload: dict[str, Any], now: datetime) -> None:
    # The filing commits each step in its own transaction (it resumes where it stopped), so it
    # takes the session factory rather than the job's session.
    send_filing(ctx.sessions, payload, now, ctx.http)


def _send_retry(settings: Settings) -> RetryPolicy:
    # Retried for the whole TAKEDOWN_NCMEC_RETRY_DAYS window; the filing itself decides when the
    # window has run out (it escalates to legal and stops), so this limit sits a day beyond it.
    return RetryPolicy(
        first=timedelta(seconds=30),
        cap=timedelta(hours=6),
        give_up_after=timedelta(days=settings.ncmec_retry_days + 1),
    )


SEND_JOB = Job(SEND, _run_send, queue=FILINGS, retry=_send_retry)
