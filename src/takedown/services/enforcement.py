"""Carrying out final decisions on content and accounts (DESIGN rules 6 and 7).

`apply_final_decision` is the one entry point the review service calls once a decision is
final. `violating` removes every linked item and every stored copy (identical files by MD5 or
SHA-256, and what the signals' retroactive scan finds); policy `csam` also suspends every
account that uploaded a copy, banks the media's hashes so new uploads are blocked, and opens
the CyberTipline filing; other policies give each uploading account one strike per case and
suspend at the configured threshold. `not_violating` restores what was hidden.

Every action is idempotent: applying the same decision twice, or replaying a job, changes
nothing the second time (each step checks the state it would create before acting).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from takedown.domain.case_state import AWAITING_DECISION
from takedown.domain.vocabulary import (
    AccountState,
    ContentState,
    EventType,
    Outcome,
    Policy,
    WebhookType,
)
from takedown.services import (
    banks,
    case_log,
    evidence,
    filing,
    possible_copies,
    statement_of_reasons,
    take_it_down,
)
from takedown.services.cases import link_item
from takedown.services.installation import installation_of
from takedown.services.match_index import MediaQuery
from takedown.services.matching import live_bank_matches, refreshed, scan_for_copies
from takedown.services.restriction import remove_item
from takedown.signals import exact_signals
from takedown.signals.vpdq import VpdqFrame, format_frames, frames_found_in
from takedown.store.banks import Bank
from takedown.store.models import Account, Case, CaseEvent, CaseItem, ContentItem, ContentSignal


def apply_final_decision(
    session: Session, case: Case, outcome: Outcome, policy: Policy, actor: str, now: datetime
) -> None:
    if outcome is Outcome.VIOLATING:
        gather_copies(session, case, now)
        reason = f"violates policy {policy.value}"
        for link in list(case.links):
            # A copy found only now was never hidden: its evidence is asked for here.
            evidence.request_capture(session, case, link.item, now)
            facts = _decision_facts(session, case) or reason
            remove_item(
                session, case, link.item, actor, reason, now, {"policy": policy, "facts": facts}
            )
        accounts = sorted({link.item.account_id for link in case.links})
        if case.subject_account_id and session.get(Account, case.subject_account_id):
            # A case about an account acts on the account itself (services.account_cases).
            accounts = sorted({*accounts, case.subject_account_id})
        if policy is Policy.CSAM:
            for account_id in accounts:
                suspend_account(session, case, account_id, actor, policy, now)
            bank_case_media(session, case, actor, now)
            filing.open_filing(session, case, actor, now)
        elif policy is not Policy.NONE:
            for account_id in accounts:
                add_strike(session, case, account_id, actor, policy, now)
            # REPORT Act: enticement, sextortion of a minor and trafficking are filed too.
            if filing.reportable_case(case, policy) is not None:
                filing.open_filing(session, case, actor, now)
    else:
        # A dismissal, or a removal reversed on appeal: undo what this case did, and only that.
        for link in case.links:
            restore_item(session, case, link.item, actor, now)
        for account_id in sorted(_suspended_by(session, case)):
            restore_account(session, case, account_id, actor, now)
        internal = session.scalars(select(Bank).where(Bank.name == INTERNAL_CSAM_BANK)).first()
        if internal is not None:
            banks.retire_case_hashes(session, internal, case.id, now)
    take_it_down.stop_clock(session, case, actor, now, "decided")
    evidence.update_retention(session, [link.item_id for link in case.links], now, deciding=case)


# -- copies -----------------------------------------------------------------------------------


def exact_copies(session: Session, case: Case) -> list[ContentItem]:
    """Stored items with the same file as one of the case's items (MD5 or SHA-256).

    The TAKE IT DOWN Act asks for identical copies to be removed; this finds them without any
    perceptual index, so it holds even where the signals' scan is not available.
    """
    wanted = {
        (s.signal, s.value)
        for link in case.links
        for s in link.item.signals
        if s.signal in exact_signals()
    }
    if not wanted:
        return []
    linked = {link.item_id for link in case.links}
    conditions = [
        and_(ContentSignal.signal == name, ContentSignal.value.in_(values))
        for name in exact_signals()
        if (values := sorted(v for s, v in wanted if s == name))
    ]
    found = session.scalars(
        select(ContentItem)
        .join(ContentSignal, ContentSignal.item_id == ContentItem.id)
        .where(or_(*conditions))
        .order_by(ContentItem.created_at, ContentItem.id)
        .distinct()
    )
    return [item for item in found if item.id not in linked]


def gather_copies(session: Session, case: Case, now: datetime) -> list[ContentItem]:
    """Join every stored copy to the case before removal: identical files, then the signals'
    retroactive scan (perceptual matches, clips inside longer videos)."""
    joined = []
    for item in exact_copies(session, case):
        if link_item(session, case, item, "identical copy (md5/sha256)", now):
            joined.append(item)
    joined.extend(scan_for_copies(session, installation_of(session), case, now))
    return joined


# -- content ----------------------------------------------------------------------------------


def restore_item(
    session: Session, case: Case, item: ContentItem, actor: str, now: datetime
) -> bool:
    """Make a hidden item visible again, unless another undecided case still needs it hidden.

    A removed item comes back only when this case removed it (an appeal that succeeded).
    """
    if item.state == ContentState.REMOVED:
        if item.content_id not in _acted_on(session, case, "removed", "content_id"):
            return False
    elif item.state != ContentState.RESTRICTED:
        return False
    if _held_by_other_case(session, case, item):
        return False
    item.state = ContentState.VISIBLE.value
    item.updated_at = now
    data = {"action": "restored", "content_id": item.content_id, "account_id": item.account_id}
    event = case_log.record(session, case, EventType.ACTION, actor, now, data)
    case_log.announce(
        session,
        event,
        WebhookType.CONTENT_RESTORED,
        {
            "content_id": item.content_id,
            "account_id": item.account_id,
            "case_id": case.id,
            "reason": "no violation found on review",
        },
    )
    return True


def _held_by_other_case(session: Session, case: Case, item: ContentItem) -> bool:
    return (
        session.scalars(
            select(Case.id)
            .join(CaseItem, CaseItem.case_id == Case.id)
            .where(
                CaseItem.item_id == item.id,
                Case.id != case.id,
                Case.restrict_required.is_(True),
                Case.state.in_([s.value for s in AWAITING_DECISION]),
            )
        ).first()
        is not None
    )


# -- accounts ---------------------------------------------------------------------------------


def suspend_account(
    session: Session,
    case: Case,
    account_id: str,
    actor: str,
    policy: Policy,
    now: datetime,
    reason: str | None = None,
) -> bool:
    account = session.get(Account, account_id)
    if account is None or account.state == AccountState.SUSPENDED:
        return False
    account.state = AccountState.SUSPENDED.value
    account.suspended_at = now
    data = {"action": "suspended", "account_id": account_id, "policy": policy.value}
    if reason:
        data["reason"] = reason
    event = case_log.record(session, case, EventType.ACTION, actor, now, data)
    case_log.announce(
        session,
        event,
        WebhookType.ACCOUNT_SUSPENDED,
        {
            "account_id": account_id,
            "case_id": case.id,
            "reason": f"violates policy {policy.value}",
            "content_id": None,
            # What the platform can show the account holder (DSA Art. 17).
            "statement_of_reasons": statement_of_reasons.statement(
                case,
                "suspended",
                actor,
                now,
                _appealable_item(case, account_id),
                account_id,
                policy,
                reason or _decision_facts(session, case) or f"violates policy {policy.value}",
            ),
        },
    )
    return True


def _appealable_item(case: Case, account_id: str) -> str | None:
    """The account's item in this case: its appeal (`POST /v1/content/{id}/appeal`) reopens
    the case, and a reversal restores the account with it."""
    return next(
        (link.item.content_id for link in case.links if link.item.account_id == account_id),
        None,
    )


def _decision_facts(session: Session, case: Case) -> str | None:
    """The reason the deciding reviewer wrote, for the statement of reasons."""
    decided = [e for e in case_log.history(session, case.id) if e.type == EventType.DECIDE.value]
    return str(decided[-1].data.get("reason")) if decided else None


def restore_account(
    session: Session, case: Case, account_id: str, actor: str, now: datetime
) -> bool:
    account = session.get(Account, account_id)
    if account is None or account.state != AccountState.SUSPENDED:
        return False
    account.state = AccountState.ACTIVE.value
    account.suspended_at = None
    data = {"action": "account_restored", "account_id": account_id}
    event = case_log.record(session, case, EventType.ACTION, actor, now, data)
    case_log.announce(
        session,
        event,
        WebhookType.ACCOUNT_RESTORED,
        {
            "account_id": account_id,
            "case_id": case.id,
            "reason": "suspension reversed on appeal",
            "content_id": None,
        },
    )
    return True


def _acted_on(session: Session, case: Case, action: str, key: str) -> set[str]:
    """Ids this case's own `action` events name, e.g. the items it removed."""
    return {
        str(e.data.get(key))
        for e in case_log.history(session, case.id)
        if e.type == EventType.ACTION and e.data.get("action") == action
    }


def _suspended_by(session: Session, case: Case) -> set[str]:
    """Accounts this case suspended and has not restored since."""
    return _acted_on(session, case, "suspended", "account_id") - _acted_on(
        session, case, "account_restored", "account_id"
    )


def add_strike(
    session: Session, case: Case, account_id: str, actor: str, policy: Policy, now: datetime
) -> bool:
    """One strike per account per case; the account is suspended at TAKEDOWN_STRIKE_THRESHOLD."""
    account = session.get(Account, account_id)
    if account is None or _struck(session, case, account_id):
        return False
    account.strikes += 1
    threshold = installation_of(session).settings.strike_threshold
    case_log.record(
        session,
        case,
        EventType.ACTION,
        actor,
        now,
        {
            "action": "strike",
            "account_id": account_id,
            "policy": policy.value,
            "strikes": account.strikes,
            "threshold": threshold,
        },
    )
    if account.strikes >= threshold:
        suspend_account(session, case, account_id, actor, policy, now)
    return True


def _struck(session: Session, case: Case, account_id: str) -> bool:
    events = session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.type == EventType.ACTION.value
        )
    )
    return any(
        e.data.get("action") == "strike" and e.data.get("account_id") == account_id for e in events
    )


# -- banking ----------------------------------------------------------------------------------

INTERNAL_CSAM_BANK = "takedown-internal-csam"


def bank_case_media(session: Session, case: Case, actor: str, now: datetime) -> int:
    """Add the case's media hashes to the internal child-safety bank (action block), so the
    same media are refused at upload from now on (DESIGN rule 6). Returns hashes added; the
    banks' retroactive scan then looks for stored copies these hashes find."""
    bank = banks.ensure_bank(
        session,
        INTERNAL_CSAM_BANK,
        "block",
        True,
        "Media of cases confirmed as child sexual abuse material by Takedown's reviewers",
        actor,
        now,
    )
    items = [link.item for link in case.links]
    note = f"confirmed in case {case.id}"
    marked = possible_copies.marked_parts(session, case)
    parts = {
        item.id: part
        for item in items
        if (part := marked_part(item, marked.get(item.id)) or matched_part(session, item, now))
    }
    return banks.bank_items(
        session, bank, items, note, actor, now, case_id=case.id, video_parts=parts
    ).added


def marked_part(item: ContentItem, segments: list[tuple[float, float]] | None) -> str | None:
    """The vPDQ of the stretches a reviewer marked on a video, if any were."""
    if not segments:
        return None
    frames = MediaQuery.of_item(item).vpdq or []
    inside = [f for f in frames if any(a <= f.timestamp <= b for a, b in segments)]
    return json.dumps(format_frames(inside)) if inside else None


def matched_part(session: Session, item: ContentItem, now: datetime) -> str | None:
    """The vPDQ of the part of a video that matched banked videos, when it matched only in
    part (a compilation holding a banked clip); None to bank the item whole.

    Banking a compilation whole would make its other footage, and every innocent video that
    shares it, match a child-safety bank (DESIGN rule 11). A video that matched no banked
    video was judged whole by the reviewer, and one found whole in a bank is all matched.
    """
    query = MediaQuery.of_item(item)
    if not query.vpdq:
        return None
    matcher = refreshed(session, installation_of(session))
    found = [m for m in live_bank_matches(session, matcher, query, now) if m.signal == "vpdq"]
    if not found or any(m.closeness.video and m.closeness.video.query_found_whole for m in found):
        return None
    shared: dict[int, VpdqFrame] = {}
    for match in found:
        banked = matcher.banked_video(match.entry.hash_id)
        for frame in frames_found_in(
            query.vpdq, banked, matcher.pdq_threshold, matcher.quality_min
        ):
            shared[frame.frame_number] = frame
    if not shared:
        return None
    return json.dumps(format_frames([shared[n] for n in sorted(shared)]))
