"""Reports made of hashes only: find the stored items, then file an ordinary report on them.

The triage, the case, the restriction and the receipt are those of `reports.file_report`,
so a victim reporting with hashes gets exactly what a reporter naming the item gets
(DESIGN rules 1 to 3); the hashes only say which stored items the report is about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from takedown.domain.triage import triage_report
from takedown.domain.vocabulary import EventType
from takedown.services import case_log
from takedown.services.banks import HashEntry, add_hashes, ensure_bank
from takedown.services.cases import SYSTEM
from takedown.services.installation import Installation
from takedown.services.match_index import MediaQuery, StoredMatch
from takedown.services.matching import join_case, propose_copy, refreshed
from takedown.services.reports import ReportInput, ReportReceipt, file_report
from takedown.services.restriction import restrict_item
from takedown.store.models import Case, ContentItem


def file_hash_report(
    session: Session,
    inst: Installation,
    now: datetime,
    hashes: list[HashEntry],
    data: ReportInput,
    reporter: str,
) -> tuple[ReportReceipt, list[ContentItem]]:
    """File the report about the nearest matching item and join every other match to its
    case, hidden with it when the case hides content. Returns the receipt and the matches.

    A key-less hash report hides at most `restrict_max` items at once
    (TAKEDOWN_HASH_REPORT_RESTRICT_MAX) (one anonymous report
    hid ten items of ten accounts, issue 10): past that bound the report is held, its nearest
    `restrict_max` matches are hidden, and the rest are joined to the case for a reviewer,
    visible until someone decides.

    A stored video sharing only a stretch with a reported one is shown on the case as a
    possible copy, not joined (DESIGN rule 11); it is not among the matches returned.
    """
    restrict_max = inst.settings.hash_report_restrict_max
    matcher = refreshed(session, inst)
    best: dict[str, StoredMatch] = {}
    for entry in hashes:
        for match in matcher.find_stored(MediaQuery.of_hash(entry.signal, entry.value)):
            if (
                match.item_id not in best
                or match.closeness.rank < best[match.item_id].closeness.rank
            ):
                best[match.item_id] = match
    ordered = sorted(best.values(), key=lambda m: (m.closeness.rank, m.item_id))
    stored = [(m, item) for m in ordered if (item := session.get(ContentItem, m.item_id))]
    found = [(m, item) for m, item in stored if not m.closeness.partial]
    first = found[0][1] if found else None
    bounded = triage_report(data.category, data.reporter_role, data.depicts_minor).restrict and (
        len(found) > restrict_max
    )
    receipt = file_report(
        session,
        inst,
        now,
        replace(
            data,
            content_id=first.content_id if first else None,
            url=None,
            held_for_review=data.held_for_review or bounded,
        ),
        reporter,
    )
    for match, item in found[1:]:
        reason = f"hash report: {match.signal} {match.closeness.describe()}"
        join_case(session, receipt.case, item, reason, now)
    if bounded:
        matched = [item for _, item in found]
        # A report accepted past its rate-limit budget hides nothing on its own word at all.
        hide_within_bound(
            session, receipt.case, matched, restrict_max, not data.held_for_review, now
        )
    for match, item in stored:
        if match.closeness.partial:
            propose_copy(session, receipt.case, item, match, now)
    keep_for_future_uploads(session, hashes, data, receipt, now)
    return receipt, [item for _, item in found]


def hide_within_bound(
    session: Session,
    case: Case,
    matched: list[ContentItem],
    bound: int,
    hide: bool,
    now: datetime,
) -> None:
    """Hide the `bound` nearest matches and leave the rest, visible, for the reviewer."""
    hidden = bound if hide else 0
    reason = f"hash report: nearest {hidden} of {len(matched)} matches"
    for item in matched[:hidden]:
        restrict_item(session, case, item, SYSTEM, reason, now)
    case_log.record(
        session,
        case,
        EventType.HELD_FOR_REVIEW,
        SYSTEM,
        now,
        {
            "bound": bound,
            "hidden": [item.content_id for item in matched[:hidden]],
            "left_for_review": [item.content_id for item in matched[hidden:]],
            "reason": "one hash-only report may hide only so many items at once; "
            "a reviewer decides on the others",
        },
    )


# Hashes that the people in the media gave us, so that an upload that comes later is held for
# review as it arrives (NCMEC's Take It Down works this way). Held, not blocked: no person has
# looked at these yet.
HASH_REPORT_BANKS = {
    True: ("takedown-hash-reports-child-safety", "Hashes from hash-only reports of a minor"),
    False: ("takedown-hash-reports", "Hashes from hash-only reports of intimate images"),
}


def keep_for_future_uploads(
    session: Session,
    hashes: list[HashEntry],
    data: ReportInput,
    receipt: ReportReceipt,
    now: datetime,
) -> None:
    """Bank the report's hashes when the report would hide content on its own word."""
    triage = triage_report(data.category, data.reporter_role, data.depicts_minor)
    if not triage.restrict:
        return
    name, description = HASH_REPORT_BANKS[triage.child_safety]
    bank = ensure_bank(
        session, name, "hold", triage.child_safety, description, "system:hash-reports", now
    )
    note = f"hash report {receipt.report.id} (case {receipt.case.id})"
    add_hashes(
        session,
        bank,
        [HashEntry(h.signal, h.value, note, receipt.case.id) for h in hashes],
        "system:hash-reports",
        now,
    )
