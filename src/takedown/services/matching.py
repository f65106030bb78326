"""Acting on matches: bank matches at upload, copies joining one case, retroactive scans.

DESIGN rule 6, every copy: an upload that matches a stored item in a case joins that case,
and is hidden with it when the case hides content; a hash added to a bank finds every stored
match at once (a job, so the request returns fast) and gathers them into one case; a report on
one item gathers the stored copies of its media. All of it is lookups in this process's
`Matcher` (services.match_index), never table scans.

The matcher, the deadline policy and the flood limit come in the `Installation` the caller
passes: an adapter, or for the job handlers (`scan_new_bank_hashes`, `hash_held_video`) the
worker, through the job's context (takedown.jobs.JobContext).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.domain.banks import BankAction, MatchEffect, effect_of_match, retroactive_state
from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.triage import Triage
from takedown.domain.vocabulary import ContentState, EventType, Priority, WebhookType
from takedown.jobs import SCANS, VIDEO, Job, JobContext
from takedown.services import case_log, case_reports, match_policy, possible_copies
from takedown.services.cases import SYSTEM, link_item, open_case, reprioritise
from takedown.services.corroboration import bystander_case_corroborated
from takedown.services.installation import Installation
from takedown.services.match_index import BankMatch, Matcher, MediaQuery, StoredMatch
from takedown.services.match_policy import LiveMatch
from takedown.services.restriction import remove_item, require_restriction, restrict_item
from takedown.signals.hashing import hash_media
from takedown.signals.media import MediaLimits, MediaRejected
from takedown.signals.vpdq import UPLOAD_SECONDS_PER_HASH, VpdqFrame, format_frames
from takedown.store.banks import BankHash
from takedown.store.models import Case, CaseItem, ContentItem, ContentSignal, Report
from takedown.store.types import new_id

log = logging.getLogger("takedown.matching")

VIDEO_HASH = "video.hash"
# Looking up stored content against hashes just added to a bank (DESIGN rule 6).
BANK_SCAN = "bank.scan"


def refreshed(session: Session, inst: Installation) -> Matcher:
    """The process's matcher, caught up with what this session can see (see `Matcher`)."""
    inst.matcher.refresh(session)
    return inst.matcher


# -- cases ------------------------------------------------------------------------------------


def open_cases_of(session: Session, item_ids: Iterable[str]) -> list[Case]:
    """Undecided cases holding any of these items, most urgent first."""
    ids = sorted(set(item_ids))
    if not ids:
        return []
    cases = session.scalars(
        select(Case)
        .join(CaseItem, CaseItem.case_id == Case.id)
        .where(CaseItem.item_id.in_(ids), Case.state.in_([s.value for s in AWAITING_DECISION]))
        .distinct()
        .options(case_reports.not_loaded())
    )
    return sorted(cases, key=lambda c: (c.priority, c.deadline_at, c.id))


def copy_reason(match: StoredMatch) -> str:
    return f"copy: {match.signal} {match.closeness.describe()}"


def propose_copy(
    session: Session, case: Case, item: ContentItem, match: StoredMatch, now: datetime
) -> bool:
    """A stored item that shares only part of itself with the case's media: for the reviewer."""
    return possible_copies.propose(
        session, case, item, match.signal, match.closeness.as_json(), "copy", now
    )


def join_case(session: Session, case: Case, item: ContentItem, reason: str, now: datetime) -> bool:
    """Link an item to a case and, when the case hides its content, hide the item in the same
    step (copies are one case)."""
    linked = link_item(session, case, item, reason, now)
    if case.restrict_required:
        restrict_item(session, case, item, SYSTEM, reason, now)
    return linked


def record_match(
    session: Session,
    case: Case,
    item: ContentItem,
    match: BankMatch,
    now: datetime,
) -> None:
    case_log.record(
        session,
        case,
        EventType.MATCH,
        SYSTEM,
        now,
        {
            "bank": match.entry.bank,
            "signal": match.signal,
            **match.closeness.as_json(),
            "bank_hash_id": match.entry.hash_id,
            "content_id": item.content_id,
            # What the reviewer needs to weigh the match (facebook/ThreatExchange #1681).
            **(
                {
                    "threshold": match.threshold,
                    "exchange": match.exchange,
                    "upstream_id": match.upstream_id,
                }
                if isinstance(match, LiveMatch)
                else {}
            ),
        },
    )


def match_report(
    session: Session,
    case: Case,
    effect: MatchEffect,
    match: BankMatch,
    content_id: str | None,
    now: datetime,
) -> Report:
    """A bank match enters the case as a report from the bank (no reporter, no status token),
    so the case's priority is computed from it like from any report."""
    report = Report(
        id=new_id("rep"),
        case_id=case.id,
        content_id=content_id,
        url=None,
        category=effect.category.value,
        reporter_role="bank_match",
        depicts_minor=match.entry.child_safety,
        statement=(
            f"match in bank {match.entry.bank} ({match.signal}, {match.closeness.describe()})"
        ),
        reporter_key=f"bank:{match.entry.bank_id}",
        priority=effect.triage.priority.value,
        status_token_hash=None,
        source="match",
        created_at=now,
        case=case,
    )
    session.add(report)
    session.flush()
    return report


def live_bank_matches(
    session: Session,
    matcher: Matcher,
    query: MediaQuery,
    now: datetime,
    banks: set[str] | None = None,
) -> list[LiveMatch]:
    """The index's bank matches that stand now (services.match_policy): less entries retired
    (a reversed decision), deleted or disabled, less those a suppression bank vetoes, limited
    to `banks` when given; each with its provenance and the threshold applied."""
    found = matcher.match_banks(query)
    return match_policy.live(session, found, now, matcher.pdq_threshold, banks)


def case_for_match(
    session: Session,
    inst: Installation,
    effect: MatchEffect,
    item_ids: Iterable[str],
    now: datetime,
    hash_id: int | None = None,
) -> Case:
    """The undecided case one of the items is in, else the undecided case the banked hash was
    reported in (a hash-only report), else a new one from the match's triage."""
    existing = open_cases_of(session, item_ids)
    if existing:
        return existing[0]
    source = session.get(BankHash, hash_id) if hash_id is not None else None
    if source is not None and source.case_id:
        reported = session.get(Case, source.case_id)
        if reported is not None and reported.state in AWAITING_DECISION:
            return reported
    return open_case(session, effect.triage, effect.category.value, now, inst.deadlines)


def apply_bank_matches(
    session: Session,
    inst: Installation,
    items: list[tuple[ContentItem, BankMatch]],
    now: datetime,
    at_upload: bool,
) -> Case | None:
    """Gather the items matched by bank entries into one case and apply the banks' action.

    At upload, `block` removes (never published) and `hold` or child safety hides. A stored
    item found later was already public: it is hidden, never removed, until a reviewer decides.
    A partial match (a shared stretch of video) acts on nothing: the item is put before a
    reviewer as a possible copy, in the case of the full matches if there is one, else in a
    case of its own that hides nothing (DESIGN rule 11).
    """
    acting = [(item, match) for item, match in items if not match.partial]
    case = _act_on_bank_matches(session, inst, acting, now, at_upload)
    for item, match in items:
        if match.partial:
            if case is None:
                case = _propose_bank_match(session, inst, item, match, now)
            possible_copies.propose(
                session,
                case,
                item,
                match.signal,
                match.closeness.as_json(),
                f"bank {match.entry.bank}",
                now,
            )
    return case


def _propose_bank_match(
    session: Session, inst: Installation, item: ContentItem, match: BankMatch, now: datetime
) -> Case:
    """The case a partial bank match is shown in: the item's own undecided case, else a new
    one with the bank's priority that hides nothing."""
    effect = effect_of_match(BankAction(match.entry.action), match.entry.child_safety)
    reason = f"possible copy: partial match in bank {match.entry.bank}"
    review_only = replace(effect, triage=replace(effect.triage, restrict=False, reason=reason))
    existing = open_cases_of(session, [item.id])
    if existing:
        return existing[0]
    case = open_case(session, review_only.triage, review_only.category.value, now, inst.deadlines)
    match_report(session, case, review_only, match, item.content_id, now)
    return case


def _act_on_bank_matches(
    session: Session,
    inst: Installation,
    items: list[tuple[ContentItem, BankMatch]],
    now: datetime,
    at_upload: bool,
) -> Case | None:
    if not items:
        return None
    effects = [
        (item, match, effect_of_match(BankAction(match.entry.action), match.entry.child_safety))
        for item, match in items
    ]
    # The strongest effect decides the case's triage: a child-safety match opens it as P0.
    _, lead_match, lead_effect = min(
        effects, key=lambda e: (e[2].triage.priority.rank, e[1].closeness.rank)
    )
    case = case_for_match(
        session, inst, lead_effect, [i.id for i, _, _ in effects], now, lead_match.entry.hash_id
    )
    match_report(session, case, lead_effect, lead_match, effects[0][0].content_id, now)
    if lead_effect.triage.child_safety:
        case.child_safety = True
    for item, match, _ in effects:
        link_item(
            session,
            case,
            item,
            f"match: bank {match.entry.bank} {match.signal} {match.closeness.describe()}",
            now,
        )
        record_match(session, case, item, match, now)
    reprioritise(session, case, now, inst.deadlines)
    for item, match, effect in effects:
        action = BankAction(match.entry.action)
        state = effect.state if at_upload else retroactive_state(action, match.entry.child_safety)
        if state is ContentState.REMOVED:
            # A `block` bank's match: the upload is never published.
            reason = f"blocked: match in bank {match.entry.bank}"
            remove_item(session, case, item, SYSTEM, reason, now, {"reason": reason})
        elif state is ContentState.RESTRICTED:
            require_restriction(session, case, SYSTEM, lead_effect.triage.reason, now)
    reason = lead_effect.triage.reason
    # Any bank match agrees with a bystander's child-safety report already on the case.
    agreed = None if case.restrict_required else bystander_case_corroborated(session, case)
    if agreed is not None:
        reason = agreed.reason
        require_restriction(session, case, SYSTEM, reason, now)
    if case.restrict_required:
        for link in list(case.links):
            restrict_item(session, case, link.item, SYSTEM, reason, now)
    return case


# -- uploads ----------------------------------------------------------------------------------


@dataclass
class Screening:
    """What registering an upload found: bank matches (for the response) and the case."""

    matches: list[dict[str, Any]]
    case: Case | None


def screen_upload(
    session: Session,
    inst: Installation,
    item: ContentItem,
    now: datetime,
    query: MediaQuery | None = None,
) -> Screening:
    """Match a new upload against the banks and the stored items, and act on what it finds.

    The caller refreshed the matcher before flushing the item (see `Matcher`).
    """
    matcher = inst.matcher
    query = query if query is not None else MediaQuery.of_item(item)
    if not query:
        return Screening([], None)
    # Copies first: a copy of an item in a case joins that case, hidden if the case hides.
    # Only an upload holding (nearly) all of the case's media is a copy; one that shares a
    # stretch with it is shown to the reviewer.
    copies = matcher.find_stored(query, exclude={item.id})
    by_item = {m.item_id: m for m in copies}
    for copy_case in open_cases_of(session, by_item):
        ids_in_case = {link.item_id for link in copy_case.links}
        in_case = [m for i, m in by_item.items() if i in ids_in_case]
        whole = [m for m in in_case if m.stored_found_whole]
        if whole:
            nearest = min(whole, key=lambda m: m.closeness.rank)
            join_case(session, copy_case, item, copy_reason(nearest), now)
        else:
            propose_copy(
                session, copy_case, item, min(in_case, key=lambda m: m.closeness.rank), now
            )
    bank_matches = live_bank_matches(session, matcher, query, now)
    # An entry that floods (too many distinct items in an hour) stops acting: a lead decides.
    acting, withheld = match_policy.act_or_withhold(session, inst, bank_matches, item, now)
    case = apply_bank_matches(session, inst, [(item, m) for m in acting], now, at_upload=True)
    return Screening(
        [m.as_json(case.id if case else None) for m in acting]
        + [m.as_json(None) for m in withheld],
        case,
    )


# -- copies of what a case holds ---------------------------------------------------------------


def join_copies(
    session: Session, inst: Installation, case: Case, item: ContentItem, now: datetime
) -> list[ContentItem]:
    """Join the stored copies of one item's media to the case (a report on one copy gathers
    the others), hidden with it when the case hides content.

    A copy holds (nearly) all of the item's media. A stored video that shares only a stretch
    with it, or is an excerpt of it, is proposed to the reviewer instead: which part of the
    item is abusive is the reviewer's call, not the overlap's.
    """
    matcher = refreshed(session, inst)
    linked = {link.item_id for link in case.links}
    joined = []
    for match in matcher.find_stored(MediaQuery.of_item(item), exclude=linked | {item.id}):
        copy = session.get(ContentItem, match.item_id)
        if copy is None:  # indexed by a transaction that rolled back, or purged since
            continue
        if not match.query_found_whole:
            propose_copy(session, case, copy, match, now)
            continue
        if join_case(session, case, copy, copy_reason(match), now):
            joined.append(copy)
    return joined


def scan_for_copies(
    session: Session, inst: Installation, case: Case, now: datetime
) -> list[ContentItem]:
    """Every stored item matching any linked item's signals, joined to the case.

    The enforcement service calls this when a case is confirmed, so that every copy is
    removed with it (DESIGN rule 6). Copies of copies are not followed: near-duplicates of
    near-duplicates drift away from the original.
    """
    joined: list[ContentItem] = []
    for link in list(case.links):
        joined.extend(join_copies(session, inst, case, link.item, now))
    return joined


def case_for_copies(session: Session, inst: Installation, item: ContentItem) -> Case | None:
    """The undecided case of a stored item whose media match this one, if any."""
    matcher = refreshed(session, inst)
    copies = matcher.find_stored(MediaQuery.of_item(item), exclude={item.id})
    cases = open_cases_of(session, [m.item_id for m in copies if m.stored_found_whole])
    return cases[0] if cases else None


# -- retroactive scans -----------------------------------------------------------------------


def scan_new_bank_hashes(
    session: Session, inst: Installation, payload: dict[str, Any], now: datetime
) -> None:
    """The `bank.scan` job: find every stored item matching the hashes just added to a bank,
    gather them into one case per hash (joining a case they are already in) and hide them."""
    from takedown.store.banks import BankHash

    matcher = refreshed(session, inst)
    ids = [int(i) for i in payload.get("hash_ids", [])]
    rows = list(session.scalars(select(BankHash).where(BankHash.id.in_(ids)).order_by(BankHash.id)))
    found_total = 0
    for row in rows:
        entry = matcher.entry(row.id)
        if entry is None:
            continue
        query = MediaQuery.of_hash(row.signal, row.value)
        found = matcher.find_stored(query, pdq_threshold=entry.pdq_threshold)
        items: list[tuple[ContentItem, BankMatch]] = []
        for m in found:
            item = session.get(ContentItem, m.item_id)
            if item is None or item.state == ContentState.REMOVED:
                continue  # already gone; nothing left to gather
            # The item's media as they match now: a suppression entry may veto this one, and
            # a retired, deleted, disabled or suppression entry never acts.
            standing = live_bank_matches(session, matcher, MediaQuery.of_item(item), now)
            mine = [s for s in standing if s.entry.hash_id == row.id]
            acting, _ = match_policy.act_or_withhold(session, inst, mine, item, now)
            items.extend((item, a) for a in acting)
        apply_bank_matches(session, inst, items, now, at_upload=False)
        found_total += len(items)
    log.info("bank scan of %d hashes found %d stored items", len(ids), found_total)


# -- held videos ------------------------------------------------------------------------------


def hold_video(session: Session, item: ContentItem, path: Path, now: datetime) -> None:
    """Queue the hashing of an uploaded video; the item stays hidden (`hold`) until then.

    The file waits in the data folder only until it is hashed: media are not kept, signals are.
    """
    VIDEO_HASH_JOB.enqueue(
        session,
        {"item_id": item.id, "path": str(path)},
        now,
        dedupe_key=f"video:{item.id}",
    )


UNHASHABLE = "video could not be hashed"


def unhashable_case_of(session: Session, account_id: str) -> Case | None:
    """The account's undecided case for videos that could not be hashed, if it has one."""
    return session.scalars(
        select(Case)
        .join(CaseItem, CaseItem.case_id == Case.id)
        .join(ContentItem, ContentItem.id == CaseItem.item_id)
        .where(
            CaseItem.reason == UNHASHABLE,
            ContentItem.account_id == account_id,
            Case.state.in_([s.value for s in AWAITING_DECISION]),
        )
        .order_by(Case.opened_at, Case.id)
    ).first()


def hash_held_video(
    session: Session, inst: Installation, payload: dict[str, Any], now: datetime
) -> None:
    """The `video.hash` job: hash the held video, match it, and tell the platform.

    The verdict arrives by webhook: `content.restricted` (a hiding match, or a case that
    hides its content), `content.removed` (a `block` bank), or `content.restored` when nothing
    matched and the hold is lifted. A video that cannot be hashed stays hidden and goes to a
    reviewer in a case of its own: an unhashable upload is not published unseen.
    """
    path = Path(str(payload["path"]))
    item = session.get(ContentItem, str(payload["item_id"]))
    if item is None:
        path.unlink(missing_ok=True)
        return
    refreshed(session, inst)  # before this job flushes the item's vPDQ
    failure: str | None = None
    frames: list[VpdqFrame] | None = None
    try:
        signals = hash_media(path.read_bytes(), MediaLimits(), UPLOAD_SECONDS_PER_HASH)
        frames = signals.vpdq
    except FileNotFoundError:
        failure = "the uploaded file was no longer there to hash"
    except MediaRejected as exc:
        failure = exc.message
    # The hold is lifted here and put back by whatever still calls for it, each with its event.
    if item.state == ContentState.RESTRICTED:
        item.state = ContentState.VISIBLE.value
    if frames:
        value = json.dumps(format_frames(frames))
        item.signals.append(ContentSignal(item_id=item.id, signal="vpdq", value=value))
        session.flush()
        screen_upload(session, inst, item, now, MediaQuery(vpdq=frames))
    for case in open_cases_of(session, [item.id]):
        if case.restrict_required:
            restrict_item(session, case, item, SYSTEM, "case hides its content", now)
    if failure is not None and item.state == ContentState.VISIBLE:
        triage = Triage(Priority.P2, True, False, f"video could not be hashed: {failure}")
        # One review case per account for its unhashable uploads: a flood of junk "videos"
        # is one thing to look at, not a queue full of cases (issue 10.9).
        case = unhashable_case_of(session, item.account_id) or open_case(
            session, triage, "other", now, inst.deadlines
        )
        link_item(session, case, item, UNHASHABLE, now)
        require_restriction(session, case, SYSTEM, triage.reason, now)
        restrict_item(session, case, item, SYSTEM, triage.reason, now)
    if item.state == ContentState.VISIBLE:
        case_log.announce_item(
            session,
            WebhookType.CONTENT_RESTORED,
            {
                "content_id": item.content_id,
                "account_id": item.account_id,
                "case_id": None,
                "reason": "video hashed: no match; the hold is lifted",
            },
            now,
        )
    path.unlink(missing_ok=True)


def matches_of(
    session: Session, inst: Installation, item: ContentItem, now: datetime
) -> list[dict[str, Any]]:
    """The bank matches of an item already registered, as the first answer gave them
    (registering again is idempotent)."""
    matcher = refreshed(session, inst)
    found = live_bank_matches(session, matcher, MediaQuery.of_item(item), now)
    cases = open_cases_of(session, [item.id])
    if not cases:
        from takedown.services.cases import case_for_item

        latest = case_for_item(session, item)
        cases = [latest] if latest else []
    case_id = cases[0].id if cases and found else None
    return [m.as_json(None if m.quarantined else case_id) for m in found]


def _run_video_hash(
    ctx: JobContext, session: Session, payload: dict[str, Any], now: datetime
) -> None:
    hash_held_video(session, ctx.installation, payload, now)


def _run_bank_scan(
    ctx: JobContext, session: Session, payload: dict[str, Any], now: datetime
) -> None:
    scan_new_bank_hashes(session, ctx.installation, payload, now)


VIDEO_HASH_JOB = Job(VIDEO_HASH, _run_video_hash, queue=VIDEO)
BANK_SCAN_JOB = Job(BANK_SCAN, _run_bank_scan, queue=SCANS)
