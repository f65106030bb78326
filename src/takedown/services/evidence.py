"""Preserving evidence: the media and metadata of restricted content, encrypted, for the law.

When an item is hidden (or removed without having been hidden), its media are kept: from the
upload itself when the restriction happens in the upload request (`capture_upload`), otherwise
fetched from the registered url by an outbox job (`evidence.capture`). Files are AES-GCM
encrypted under the data folder (`store.evidence_vault`); the database holds only bookkeeping.
Every read, export, hold and purge is an event on the item's cases (DESIGN rule 7; REPORT Act:
one year after a CyberTipline filing at least, longer under a legal hold).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import mimetypes
import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.clock import rfc3339
from takedown.domain import retention
from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.vocabulary import MEDIA_KINDS, ContentState, EventType
from takedown.fetching import Fetcher, FetchPolicy, FetchRefused
from takedown.jobs import EVIDENCE, Job, JobContext
from takedown.services import case_log
from takedown.services.errors import Conflict, NotFound
from takedown.services.installation import Installation, installation_of
from takedown.signals.media_type import detected_type
from takedown.store.evidence_vault import EvidenceUnreadable, EvidenceVault
from takedown.store.filings import EvidenceRecord, Filing, LegalHold
from takedown.store.models import Case, CaseItem, ContentItem
from takedown.store.types import new_id

CAPTURE = "evidence.capture"
PURGE = "evidence.purge"
ACTOR = "system:evidence"
TEXT_TYPE = "text/plain"
URGENT = frozenset({"P0", "P1"})


class FetchFailed(Exception):
    """The url did not answer usefully this time; the capture job is retried with back-off."""


class Unfetchable(Exception):
    """The url will never give the media (gone, refused, too large): record it and stop."""


class Missing(Unfetchable):
    """The url answered 404 or 410. Soon after a report this is often passing (the platform
    hid the item on Takedown's own webhook, or has not published it yet), so the capture is
    retried for `MISSING_GRACE` before the media are recorded as unavailable (issue 13)."""


MISSING_GRACE = timedelta(hours=1)


# -- asking for a copy ------------------------------------------------------------------------


def record_for_item(session: Session, item_id: str) -> EvidenceRecord | None:
    return session.scalars(select(EvidenceRecord).where(EvidenceRecord.item_id == item_id)).first()


def request_capture(session: Session, case: Case, item: ContentItem, now: datetime) -> None:
    """Make sure the item's media will be preserved; once per item, however often it is asked."""
    record = record_for_item(session, item.id)
    if record is None:
        record = EvidenceRecord(
            id=new_id("evd"),
            item_id=item.id,
            case_id=case.id,
            content_id=item.content_id,
            status="pending",
            created_at=now,
        )
        session.add(record)
        session.flush()
    if record.status == "pending" and carries_text_only(item):
        # A message or post is its text: preserved now, encrypted, with nothing to fetch.
        text = item.text or ""
        vault = installation_of(session).vault  # reached deep inside a restriction
        _store(session, vault, record, item, text.encode(), TEXT_TYPE, "text", None, now)
        return
    if record.status == "pending":
        CAPTURE_JOB.enqueue(
            session, {"evidence_id": record.id}, now, dedupe_key=f"{CAPTURE}:{record.id}"
        )


def capture_if_urgent(session: Session, case: Case, now: datetime) -> None:
    """A P0 or P1 case preserves its items as soon as it is reported, hidden or not: by the
    time of the decision the uploader may be gone and the platform answer 404 (issue 13)."""
    if case.priority not in URGENT:
        return
    for link in case.links:
        request_capture(session, case, link.item, now)


def carries_text_only(item: ContentItem) -> bool:
    """An item whose evidence is its registered text: no media signals, a text of its own."""
    return item.text is not None and not item.signals and item.kind not in MEDIA_KINDS


def capture_upload(
    session: Session,
    inst: Installation,
    item: ContentItem,
    data: bytes,
    media_type: str | None,
    now: datetime,
) -> bool:
    """Keep the bytes of an upload that was hidden in the same request (a bank match, or a
    report that was waiting for it): the platform may never serve them at a url."""
    record = record_for_item(session, item.id)
    if record is None and item.state != ContentState.VISIBLE:
        # Removed at upload by a `block` bank: never hidden first, but evidence all the same.
        cases = _cases_of(session, item.id)
        if cases:
            request_capture(session, cases[-1], item, now)
            record = record_for_item(session, item.id)
    if record is None or record.status != "pending":
        return False  # not hidden (nothing to preserve), or already preserved
    _store(session, inst.vault, record, item, data, media_type, "upload", None, now)
    return True


def capture(
    session: Session, inst: Installation, payload: dict[str, Any], now: datetime, fetcher: Fetcher
) -> None:
    """The `evidence.capture` job: fetch the registered url, size-limited, under
    TAKEDOWN_FETCH_ALLOW (a refused url is recorded on the case, never retried). Idempotent."""
    record = session.get(EvidenceRecord, payload["evidence_id"])
    if record is None or record.status != "pending":
        return
    item = session.get(ContentItem, record.item_id)
    if item is None:
        return
    if not item.url:
        _unavailable(session, record, "no upload bytes and no registered url", now)
        return
    limit = inst.settings.evidence_fetch_max_bytes
    try:
        data, media_type = _fetch(fetcher, item.url, limit)
    except Missing as exc:
        if now - record.created_at < MISSING_GRACE:
            raise FetchFailed(f"{exc}; retrying while it may still appear") from None
        _unavailable(session, record, str(exc), now)
        return
    except (Unfetchable, FetchRefused) as exc:
        _unavailable(session, record, str(exc), now)
        return
    _store(session, inst.vault, record, item, data, media_type, "url", item.url, now)


def _fetch(fetcher: Fetcher, url: str, limit: int) -> tuple[bytes, str | None]:
    try:
        with fetcher.stream(url) as response:
            code = response.status_code
            if code in (408, 425, 429) or code >= 500:
                raise FetchFailed(f"{url} answered {code}")
            if code >= 400:
                raise (Missing if code in (404, 410) else Unfetchable)(f"{url} answered {code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise Unfetchable(f"{url} is {declared} bytes, over the {limit}-byte limit")
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > limit:
                    raise Unfetchable(f"{url} is over the {limit}-byte limit")
            declared = response.headers.get("content-type", "").split(";")[0].strip() or None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from exc
    if not data:
        raise FetchFailed(f"{url} answered with no bytes")
    # The server's Content-Type is its claim; what is kept and served is what the bytes are.
    media_type = detected_type(bytes(data))
    if media_type is None:
        # A web page about the item is not the item: keep nothing rather than the wrong thing.
        raise Unfetchable(
            f"{url} answered {declared or 'something'} that is not an image or a video; "
            "register the media's own url"
        )
    return bytes(data), media_type


def _store(
    session: Session,
    vault: EvidenceVault,
    record: EvidenceRecord,
    item: ContentItem,
    data: bytes,
    media_type: str | None,
    source: str,
    fetched_from: str | None,
    now: datetime,
) -> None:
    md5 = hashlib.md5(data).hexdigest()
    sha256 = hashlib.sha256(data).hexdigest()
    metadata = {
        "evidence_id": record.id,
        "content_id": item.content_id,
        "account_id": item.account_id,
        "url": item.url,
        "media_type": media_type,
        "kind": item.kind,
        "registered_at": rfc3339(item.created_at),
        "captured_at": rfc3339(now),
        "source": source,
        "fetched_from": fetched_from,
        "size_bytes": len(data),
        "md5": md5,
        "sha256": sha256,
        "signals": {s.signal: s.value for s in item.signals},
        "case_ids": [c.id for c in _cases_of(session, item.id)],
    }
    vault.put(record.id, "media", data)
    vault.put(record.id, "meta", json.dumps(metadata, sort_keys=True).encode())
    record.status = "stored"
    record.source = source
    record.media_type = media_type
    record.size_bytes = len(data)
    record.md5 = md5
    record.sha256 = sha256
    record.captured_at = now
    record.last_error = None
    _log(session, item.id, ACTOR, now, "captured", record, {"source": source, "sha256": sha256})
    update_retention(session, [item.id], now)


def _unavailable(session: Session, record: EvidenceRecord, why: str, now: datetime) -> None:
    record.status = "unavailable"
    record.last_error = why
    _log(session, record.item_id, ACTOR, now, "unavailable", record, {"reason": why})


# -- reading ----------------------------------------------------------------------------------


def read_media(
    session: Session, item_id: str, actor: str, now: datetime
) -> tuple[bytes, str] | None:
    """The preserved media of an item (by Takedown's item id or the platform's content id) and
    their media type, or None when none is kept. Every read is an event (who, when)."""
    item = (
        session.get(ContentItem, item_id)
        or session.scalars(select(ContentItem).where(ContentItem.content_id == item_id)).first()
    )
    if item is None:
        return None
    record = record_for_item(session, item.id)
    if record is None or record.status != "stored":
        return None
    data = _open(session, record, "media")
    _log(session, item.id, actor, now, "accessed", record, {"purpose": "review"})
    return data, record.media_type or "application/octet-stream"


def read_for_filing(session: Session, record: EvidenceRecord, actor: str, now: datetime) -> bytes:
    """The bytes sent to NCMEC; logged like any other access."""
    data = _open(session, record, "media")
    _log(session, record.item_id, actor, now, "accessed", record, {"purpose": "cybertipline"})
    return data


def _open(session: Session, record: EvidenceRecord, piece: str) -> bytes:
    try:
        return installation_of(session).vault.get(record.id, piece)
    except EvidenceUnreadable as exc:
        raise Conflict(str(exc), "evidence_unreadable") from None


# -- retention, holds, purge ------------------------------------------------------------------


def retention_policy(session: Session) -> retention.RetentionPolicy:
    settings = installation_of(session).settings
    return retention.RetentionPolicy(
        after_decision=timedelta(days=settings.evidence_retention_days),
        after_filing=timedelta(days=settings.csam_retention_days),
    )


def update_retention(
    session: Session, item_ids: Iterable[str], now: datetime, deciding: Case | None = None
) -> None:
    """Recompute how long each item's evidence is kept, and queue its purge for that time.

    `deciding` is a case whose decision is being applied now (its row may not say so yet).
    """
    policy = retention_policy(session)
    for item_id in item_ids:
        record = record_for_item(session, item_id)
        if record is None or record.status in ("purged",):
            continue
        standings = []
        for case in _cases_of(session, item_id):
            filing = session.scalars(select(Filing).where(Filing.case_id == case.id)).first()
            decided_at = case.decided_at or now
            settled = case.state not in {s.value for s in AWAITING_DECISION}
            if deciding is not None and case.id == deciding.id:
                settled = True
            standings.append(
                retention.CaseStanding(
                    decided_at=decided_at if settled else None,
                    filing_required=filing is not None,
                    filed_at=filing.finished_at if filing and filing.status == "accepted" else None,
                )
            )
        record.retain_until = retention.retain_until(standings, policy)
        if record.retain_until is not None:
            PURGE_JOB.enqueue(
                session,
                {"evidence_id": record.id},
                now,
                dedupe_key=f"{PURGE}:{record.id}:{rfc3339(record.retain_until)}",
                not_before=record.retain_until,
            )


def under_hold(session: Session, item_id: str) -> bool:
    case_ids = [c.id for c in _cases_of(session, item_id)]
    if not case_ids:
        return False
    return (
        session.scalars(
            select(LegalHold).where(
                LegalHold.case_id.in_(case_ids), LegalHold.released_at.is_(None)
            )
        ).first()
        is not None
    )


def purge(session: Session, inst: Installation, payload: dict[str, Any], now: datetime) -> None:
    """The `evidence.purge` job: delete the files once retention ended and no hold applies."""
    record = session.get(EvidenceRecord, payload["evidence_id"])
    if record is None or record.status == "purged":
        return
    if record.retain_until is None or record.retain_until > now:
        return  # kept longer since this job was queued; a later job carries the new date
    if under_hold(session, record.item_id):
        return  # released holds queue the purge again
    inst.vault.delete(record.id)
    record.status = "purged"
    record.purged_at = now
    _log(session, record.item_id, ACTOR, now, "purged", record, {})


def purge_expired(session: Session, now: datetime) -> int:
    """Purge everything past its time in one pass (the CLI and the tests use this)."""
    due = session.scalars(
        select(EvidenceRecord).where(
            EvidenceRecord.status != "purged",
            EvidenceRecord.retain_until.is_not(None),
            EvidenceRecord.retain_until <= now,
        )
    )
    count = 0
    for record in list(due):
        purge(session, installation_of(session), {"evidence_id": record.id}, now)
        count += record.status == "purged"
    return count


def active_hold(session: Session, case_id: str) -> LegalHold | None:
    return session.scalars(
        select(LegalHold).where(LegalHold.case_id == case_id, LegalHold.released_at.is_(None))
    ).first()


def set_legal_hold(
    session: Session, case: Case, actor: str, reason: str, now: datetime
) -> LegalHold:
    """Keep the case's evidence past its retention until released. Setting it twice is one hold."""
    hold = active_hold(session, case.id)
    if hold is not None:
        return hold
    hold = LegalHold(id=new_id("hold"), case_id=case.id, reason=reason, set_by=actor, set_at=now)
    session.add(hold)
    case_log.record(
        session, case, EventType.EVIDENCE, actor, now, {"action": "legal_hold", "reason": reason}
    )
    session.flush()
    return hold


def release_legal_hold(session: Session, case: Case, actor: str, now: datetime) -> bool:
    hold = active_hold(session, case.id)
    if hold is None:
        return False
    hold.released_at = now
    hold.released_by = actor
    case_log.record(
        session, case, EventType.EVIDENCE, actor, now, {"action": "legal_hold_released"}
    )
    for link in case.links:
        record = record_for_item(session, link.item_id)
        if record and record.retain_until and record.retain_until <= now:
            PURGE_JOB.enqueue(
                session,
                {"evidence_id": record.id},
                now,
                dedupe_key=f"{PURGE}:{record.id}:release:{hold.id}",
            )
    return True


# -- the package for law enforcement ---------------------------------------------------------


def evidence_package(session: Session, case: Case, actor: str, now: datetime) -> bytes:
    """A zip for role `legal` to hand to law enforcement: media, metadata, events, hashes.

    The zip holds the media in the clear: it is made on request, sent over the authenticated
    API, and never written to disk here. The export itself is an event.
    """
    records = [
        r for r in (record_for_item(session, link.item_id) for link in case.links) if r is not None
    ]
    stored = [r for r in records if r.status == "stored"]
    if not case.links:
        raise NotFound("this case has no content, so no evidence", "no_evidence")
    event = case_log.record(
        session,
        case,
        EventType.EVIDENCE,
        actor,
        now,
        {
            "action": "exported",
            "evidence_ids": [r.id for r in stored],
            "content_ids": [r.content_id for r in stored],
        },
    )
    buffer = io.BytesIO()
    manifest: list[dict[str, Any]] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes) -> None:
            archive.writestr(name, data)
            manifest.append({"file": name, "sha256": hashlib.sha256(data).hexdigest()})

        for record in stored:
            media = _open(session, record, "media")
            extension = mimetypes.guess_extension(record.media_type or "") or ".bin"
            add(f"items/{record.id}/media{extension}", media)
            add(f"items/{record.id}/metadata.json", _open(session, record, "meta"))
        hashes = io.StringIO()
        writer = csv.writer(hashes)
        writer.writerow(["content_id", "signal", "value"])
        for link in case.links:
            for signal in link.item.signals:
                writer.writerow([link.item.content_id, signal.signal, signal.value])
        add("hashes.csv", hashes.getvalue().encode())
        events = [
            {"seq": e.seq, "type": e.type, "actor": e.actor, "at": rfc3339(e.at), "data": e.data}
            for e in case_log.history(session, case.id)
        ]
        add("events.json", json.dumps(events, indent=2, sort_keys=True).encode())
        filing = session.scalars(select(Filing).where(Filing.case_id == case.id)).first()
        summary = {
            "case_id": case.id,
            "state": case.state,
            "priority": case.priority,
            "category": case.category,
            "opened_at": rfc3339(case.opened_at),
            "decided_at": rfc3339(case.decided_at) if case.decided_at else None,
            "exported_at": rfc3339(now),
            "exported_by": actor,
            "export_event_id": event.id,
            "filing": (
                {"status": filing.status, "ncmec_report_id": filing.ncmec_report_id}
                if filing
                else None
            ),
            "evidence": [
                {
                    "evidence_id": r.id,
                    "content_id": r.content_id,
                    "status": r.status,
                    "sha256": r.sha256,
                    "md5": r.md5,
                    "captured_at": rfc3339(r.captured_at) if r.captured_at else None,
                    "retain_until": rfc3339(r.retain_until) if r.retain_until else None,
                }
                for r in records
            ],
        }
        add("case.json", json.dumps(summary, indent=2, sort_keys=True).encode())
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return buffer.getvalue()


def evidence_json(session: Session, case: Case) -> list[dict[str, Any]]:
    """What staff see about a case's evidence (never the media)."""
    out = []
    for link in case.links:
        record = record_for_item(session, link.item_id)
        if record is None:
            continue
        out.append(
            {
                "content_id": record.content_id,
                "status": record.status,
                "source": record.source,
                "size_bytes": record.size_bytes,
                "sha256": record.sha256,
                "captured_at": rfc3339(record.captured_at) if record.captured_at else None,
                "retain_until": rfc3339(record.retain_until) if record.retain_until else None,
            }
        )
    return out


# -- shared -----------------------------------------------------------------------------------


def _cases_of(session: Session, item_id: str) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .join(CaseItem, CaseItem.case_id == Case.id)
            .where(CaseItem.item_id == item_id)
            .order_by(Case.opened_at)
        )
    )


def _log(
    session: Session,
    item_id: str,
    actor: str,
    now: datetime,
    action: str,
    record: EvidenceRecord,
    extra: dict[str, Any],
) -> None:
    data = {"action": action, "evidence_id": record.id, "content_id": record.content_id, **extra}
    for case in _cases_of(session, item_id):
        case_log.record(session, case, EventType.EVIDENCE, actor, now, data)


def _run_capture(ctx: JobContext, session: Session, payload: dict[str, Any], now: datetime) -> None:
    fetcher = Fetcher(ctx.http, FetchPolicy.parse(ctx.settings.fetch_allow))
    capture(session, ctx.installation, payload, now, fetcher)


def _run_purge(ctx: JobContext, session: Session, payload: dict[str, Any], now: datetime) -> None:
    purge(session, ctx.installation, payload, now)


CAPTURE_JOB = Job(CAPTURE, _run_capture, queue=EVIDENCE)
PURGE_JOB = Job(PURGE, _run_purge, queue=EVIDENCE)
