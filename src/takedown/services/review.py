"""Human review: claiming a case, revealing its media, and deciding it (DESIGN rules 5 and 9).

The rules this module enforces, and why:
- A case is held by one reviewer at a time, so two people never work the same case unawares;
  a claim lapses after a period without activity so that nothing waits on an absent reviewer.
- Media are revealed one item at a time, only by the reviewer holding the case, and each reveal
  is an event: reviewers are protected and every look at the media is accounted for.
- A "not violating" decision on a child-safety case is not final until a second, senior
  reviewer (a lead other than the first decider) agrees: no silent dismissal. The content
  stays as it is (restricted) meanwhile.
- An appealed case can be decided only by a lead who has not decided it before.
Every claim, release, reveal and decision is an event with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from takedown.domain.case_projection import CaseFields
from takedown.domain.case_state import AWAITING_DECISION, transition
from takedown.domain.vocabulary import CaseState, EventType, Outcome, Policy
from takedown.exchanges.opinions import record_verdict
from takedown.jobs import JobContext, Sweep
from takedown.services import case_log, evidence, wellness
from takedown.services.access import Principal, Role
from takedown.services.audit_log import StaffAction, record_staff_action
from takedown.services.enforcement import apply_final_decision
from takedown.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from takedown.store.models import Account, Case, CaseItem, ContentItem, User
from takedown.store.review import Appeal, CaseClaim, Decision
from takedown.store.types import new_id

CLAIM_EXPIRY = "system:claim-expiry"
DEFAULT_CLAIM_IDLE = timedelta(minutes=15)
# Claims are changed with Core statements that RETURN the rows they touched: row counts are not
# reported for every statement by every driver (psycopg gives -1 for INSERT .. ON CONFLICT).
CLAIMS = cast(Table, CaseClaim.__table__)

# Who may decide at all; the second review and appeals need a lead (the "senior reviewer").
DECIDERS = frozenset({Role.REVIEWER, Role.LEAD, Role.ADMIN})
SENIOR = frozenset({Role.LEAD})


# -- claims ----------------------------------------------------------------------------------


def active_claim(
    session: Session, case_id: str, now: datetime, idle: timedelta = DEFAULT_CLAIM_IDLE
) -> CaseClaim | None:
    """The claim on a case that has not lapsed, read fresh from the database."""
    claim = session.scalars(
        select(CaseClaim)
        .where(CaseClaim.case_id == case_id)
        .execution_options(populate_existing=True)
    ).first()
    if claim is None or claim.last_active_at <= now - idle:
        return None
    return claim


def claims_by_case(
    session: Session, case_ids: list[str], now: datetime, idle: timedelta = DEFAULT_CLAIM_IDLE
) -> dict[str, str]:
    """Who holds each of these cases (lapsed claims left out)."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(CaseClaim.case_id, CaseClaim.claimed_by).where(
            CaseClaim.case_id.in_(case_ids), CaseClaim.last_active_at > now - idle
        )
    )
    return {case_id: by for case_id, by in rows}


def _take(session: Session, case_id: str, name: str, now: datetime, idle: timedelta) -> bool:
    """Atomically take a case that is free, lapsed or already ours; False if someone has it.

    The conditional UPDATE re-checks its condition under the row lock (PostgreSQL) or the
    write lock (SQLite), and the INSERT relies on the primary key, so two reviewers racing for
    one case cannot both win.
    """
    taken = session.execute(
        update(CLAIMS)
        .where(
            CaseClaim.case_id == case_id,
            (CaseClaim.claimed_by == name) | (CaseClaim.last_active_at <= now - idle),
        )
        .values(claimed_by=name, claimed_at=now, last_active_at=now)
        .returning(CLAIMS.c.case_id)
    ).first()
    if taken is not None:
        return True
    dialect = session.get_bind().dialect.name
    values = {"case_id": case_id, "claimed_by": name, "claimed_at": now, "last_active_at": now}
    statement = (
        postgresql.insert(CLAIMS).values(**values).on_conflict_do_nothing()
        if dialect == "postgresql"
        else sqlite.insert(CLAIMS).values(**values).on_conflict_do_nothing()
    )
    return session.execute(statement.returning(CLAIMS.c.case_id)).first() is not None


def claim(
    session: Session,
    case: Case,
    who: Principal,
    now: datetime,
    idle: timedelta = DEFAULT_CLAIM_IDLE,
) -> None:
    """Hold a case for `who`; refused when someone else holds it or `who` may not decide it."""
    problem = why_cannot_decide(session, case, who)
    if problem is not None:
        raise problem
    before = active_claim(session, case.id, now, idle)
    if before is not None and before.claimed_by == who.name:
        touch(session, case.id, who, now, idle)
        return
    lapsed = session.scalars(
        select(CaseClaim.claimed_by).where(CaseClaim.case_id == case.id)
    ).first()
    if not _take(session, case.id, who.name, now, idle):
        holder = active_claim(session, case.id, now, idle)
        by = holder.claimed_by if holder else "another reviewer"
        raise Conflict(f"this case is claimed by {by}", "case_claimed")
    if lapsed is not None and lapsed != who.name:
        _record_lapse(session, case, lapsed, now)
    case_log.record(session, case, EventType.ASSIGN, who.name, now, {"claimed_by": who.name})


def claim_next(
    session: Session,
    who: Principal,
    now: datetime,
    idle: timedelta = DEFAULT_CLAIM_IDLE,
    priority: str | None = None,
    category: str | None = None,
) -> Case | None:
    """Give `who` the most urgent case nobody holds and they may decide, releasing their others.

    Appealed cases and second reviews only go to leads who have not decided the case before.
    """
    for held in list(session.scalars(select(CaseClaim).where(CaseClaim.claimed_by == who.name))):
        release(session, held.case_id, who, now, "claimed_next")
    taken = select(CaseClaim.case_id).where(CaseClaim.last_active_at > now - idle)
    query = select(Case).where(
        Case.state.in_([s.value for s in AWAITING_DECISION]), Case.id.not_in(taken)
    )
    if priority:
        query = query.where(Case.priority == priority)
    if category:
        query = query.where(Case.category == category)
    query = query.order_by(Case.priority, Case.deadline_at, Case.id).limit(200)
    for case in list(session.scalars(query)):
        if why_cannot_decide(session, case, who) is not None:
            continue
        try:
            claim(session, case, who, now, idle)
        except Conflict:
            continue  # another reviewer took it a moment ago: try the next one
        return case
    return None


def release(
    session: Session, case_id: str, who: Principal, now: datetime, reason: str = "released"
) -> bool:
    """Give a case back; only the holder can."""
    gone = session.execute(
        delete(CLAIMS)
        .where(CaseClaim.case_id == case_id, CaseClaim.claimed_by == who.name)
        .returning(CLAIMS.c.case_id)
    ).first()
    if gone is None:
        return False
    case = session.get(Case, case_id)
    if case is not None:
        case_log.record(
            session,
            case,
            EventType.RELEASE,
            who.name,
            now,
            {"claimed_by": who.name, "reason": reason},
        )
    return True


def release_idle_claims(
    session: Session, now: datetime, idle: timedelta = DEFAULT_CLAIM_IDLE
) -> int:
    """Release every lapsed claim, each recorded as a `release` event (the queue runs this)."""
    released = 0
    lapsed = list(session.scalars(select(CaseClaim).where(CaseClaim.last_active_at <= now - idle)))
    for row in lapsed:
        gone = session.execute(
            delete(CLAIMS)
            .where(CaseClaim.case_id == row.case_id, CaseClaim.last_active_at <= now - idle)
            .returning(CLAIMS.c.case_id)
        ).first()
        if gone is None:
            continue
        case = session.get(Case, row.case_id)
        if case is not None:
            _record_lapse(session, case, row.claimed_by, now)
            released += 1
    return released


def _record_lapse(session: Session, case: Case, claimed_by: str, now: datetime) -> None:
    """Record that `claimed_by`'s idle claim lapsed: the expiry released it, not the reviewer."""
    case_log.record(
        session,
        case,
        EventType.RELEASE,
        CLAIM_EXPIRY,
        now,
        {"claimed_by": claimed_by, "reason": "idle"},
    )


def touch(session: Session, case_id: str, who: Principal, now: datetime, idle: timedelta) -> bool:
    """Keep `who`'s claim alive: any action on the case counts as activity."""
    done = session.execute(
        update(CLAIMS)
        .where(
            CaseClaim.case_id == case_id,
            CaseClaim.claimed_by == who.name,
            CaseClaim.last_active_at > now - idle,
        )
        .values(last_active_at=now)
        .returning(CLAIMS.c.case_id)
    ).first()
    return done is not None


# -- reveal ----------------------------------------------------------------------------------


def reveal(
    session: Session,
    case: Case,
    item_id: str,
    who: Principal,
    now: datetime,
    idle: timedelta = DEFAULT_CLAIM_IDLE,
) -> ContentItem:
    """Record that `who` looks at one item's media unblurred; only the claim holder may."""
    link = next((link for link in case.links if link.item_id == item_id), None)
    if link is None:
        raise NotFound("this item is not part of the case", "item_not_found")
    held = active_claim(session, case.id, now, idle)
    if held is None or held.claimed_by != who.name:
        raise Forbidden("claim the case before revealing its media", "claim_required")
    wellness.check_reveal_allowed(session, who.name, now)
    touch(session, case.id, who, now, idle)
    case_log.record(
        session,
        case,
        EventType.REVEAL,
        who.name,
        now,
        {"item_id": link.item.id, "content_id": link.item.content_id},
    )
    record_staff_action(
        session,
        StaffAction.REVEAL,
        who.name,
        link.item.content_id,
        now,
        {"case_id": case.id, "item_id": link.item.id},
    )
    return link.item


# -- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionResult:
    decision: Decision
    final: bool


def decisions_of(session: Session, case_id: str) -> list[Decision]:
    return list(
        session.scalars(
            select(Decision).where(Decision.case_id == case_id).order_by(Decision.at, Decision.id)
        )
    )


def last_final_decision(session: Session, case_id: str) -> Decision | None:
    finals = [d for d in decisions_of(session, case_id) if d.final]
    return finals[-1] if finals else None


def pending_first_decision(session: Session, case: Case) -> Decision | None:
    """The first decision a second review is waiting on, if the case is waiting."""
    if case.state != CaseState.PENDING_SECOND_REVIEW:
        return None
    waiting = [d for d in decisions_of(session, case.id) if not d.final]
    return waiting[-1] if waiting else None


def open_appeal(session: Session, case_id: str) -> Appeal | None:
    return session.scalars(
        select(Appeal)
        .where(Appeal.case_id == case_id, Appeal.resolved_at.is_(None))
        .order_by(Appeal.created_at.desc())
    ).first()


def why_cannot_decide(session: Session, case: Case, who: Principal) -> ServiceError | None:
    """The reason `who` may not decide this case now, or None when they may."""
    if who.role not in DECIDERS:
        return Forbidden("only reviewers, leads and admins decide cases", "role_cannot_decide")
    state = CaseState(case.state)
    if state in (CaseState.DECIDED, CaseState.CLOSED):
        return Conflict("this case is already decided; an appeal reopens it", "already_decided")
    if state is CaseState.PENDING_SECOND_REVIEW:
        if who.role not in SENIOR:
            return Forbidden(
                "a child-safety dismissal needs a second review by a lead",
                "second_review_needs_lead",
            )
        first = pending_first_decision(session, case)
        if first is not None and first.decided_by == who.name:
            return Conflict(
                "the second review must be made by a different lead than the first decision",
                "same_person_second_review",
            )
    if state is CaseState.APPEALED:
        if who.role not in SENIOR:
            return Forbidden("an appeal is decided by a lead", "appeal_needs_lead")
        if who.name in {d.decided_by for d in decisions_of(session, case.id)}:
            return Conflict(
                "an appeal goes to a lead who has not decided this case before",
                "appeal_needs_different_lead",
            )
    return None


def decide(
    session: Session,
    case: Case,
    who: Principal,
    outcome: Outcome,
    policy: Policy,
    reason: str,
    now: datetime,
    idle: timedelta = DEFAULT_CLAIM_IDLE,
    require_claim: bool = False,
    without_media_reason: str | None = None,
) -> DecisionResult:
    """Decide a case. Final decisions are carried out at once by `apply_final_decision`.

    A first "not violating" decision on a child-safety case waits in `pending_second_review`
    for a lead other than its author (DESIGN rule 5). The API does not need a claim (its
    contract has none), but a case held by someone else is refused either way.
    """
    reason = reason.strip()
    if not reason:
        raise Invalid("a decision needs a written reason", "reason_required")
    if outcome is Outcome.VIOLATING and policy is Policy.NONE:
        raise Invalid("a violating decision names the policy it breaks", "policy_required")
    if who.role not in DECIDERS:
        raise Forbidden("only reviewers, leads and admins decide cases", "role_cannot_decide")
    held = active_claim(session, case.id, now, idle)
    if held is not None and held.claimed_by != who.name:
        raise Conflict(f"this case is claimed by {held.claimed_by}", "case_claimed")
    if require_claim and held is None:
        raise Forbidden("claim the case before deciding it", "claim_required")
    problem = why_cannot_decide(session, case, who)
    if problem is not None:
        raise problem
    unseen = unseen_media(session, case) if outcome is Outcome.VIOLATING else []
    without_media_reason = (without_media_reason or "").strip() or None
    if unseen and without_media_reason is None:
        # Issue 13: a lead confirmed CSAM on "media not available". Deciding without the
        # media can be right (an exact hash match), but never silently.
        raise Invalid(
            "no one could see the media of "
            + ", ".join(unseen)
            + ": confirm you decide without them and say why (for example, an exact hash "
            "match to a known bank)",
            "media_unseen",
        )

    state = CaseState(case.state)
    stage = {CaseState.PENDING_SECOND_REVIEW: "second", CaseState.APPEALED: "appeal"}.get(
        state, "first"
    )
    first = pending_first_decision(session, case)
    appeal = open_appeal(session, case.id) if state is CaseState.APPEALED else None
    final = not (stage == "first" and outcome is Outcome.NOT_VIOLATING and case.child_safety)
    decision = Decision(
        id=new_id("dec"),
        case_id=case.id,
        outcome=outcome.value,
        policy=policy.value,
        reason=reason,
        decided_by=who.name,
        role=who.role.value,
        stage=stage,
        final=final,
        appeal_id=appeal.id if appeal else None,
        at=now,
    )
    session.add(decision)
    decided: CaseFields = {
        "state": transition(
            state, CaseState.DECIDED if final else CaseState.PENDING_SECOND_REVIEW
        ).value
    }
    if final:
        decided["decided_at"] = now
    if appeal is not None:
        appeal.resolved_at = now
    data: dict[str, Any] = {
        "decision_id": decision.id,
        "outcome": outcome.value,
        "policy": policy.value,
        "reason": reason,
        "final": final,
        "stage": stage,
        "role": who.role.value,
    }
    if first is not None:
        data["first_decision_id"] = first.id
        data["agrees_with_first"] = first.outcome == outcome.value
    if appeal is not None:
        data["appeal_id"] = appeal.id
    if unseen:
        data["decided_without_media"] = unseen
        data["without_media_reason"] = without_media_reason
    case_log.record(session, case, EventType.DECIDE, who.name, now, data, decided)
    if final:
        apply_final_decision(session, case, outcome, policy, who.name, now)
        # The verdict on any exchange hash that matched goes back upstream (issue 11, item 2).
        record_verdict(session, case.id, decision.id, outcome is Outcome.VIOLATING, now)
    release(session, case.id, who, now, "decided")
    return DecisionResult(decision, final)


def unseen_media(session: Session, case: Case) -> list[str]:
    """The case's items whose media no reviewer could see: nothing preserved to show.

    An item without media (a message, a profile) is seen through its text, so it is never here.
    """
    return [
        link.item.content_id
        for link in case.links
        if not evidence.carries_text_only(link.item) and not _preserved(session, link.item.id)
    ]


def _preserved(session: Session, item_id: str) -> bool:
    record = evidence.record_for_item(session, item_id)
    return record is not None and record.status == "stored"


# -- what the case page shows beside the case ------------------------------------------------


@dataclass(frozen=True)
class UploaderHistory:
    """An uploading account and its record: state, strikes and the other cases it is in."""

    account_id: str
    state: str
    strikes: int
    suspended_at: datetime | None
    other_cases: list[Case]
    item_count: int


def uploaders(session: Session, case: Case) -> list[UploaderHistory]:
    out: list[UploaderHistory] = []
    for account_id in sorted({link.item.account_id for link in case.links}):
        account = session.get(Account, account_id)
        others = list(
            session.scalars(
                select(Case)
                .join(CaseItem, CaseItem.case_id == Case.id)
                .join(ContentItem, ContentItem.id == CaseItem.item_id)
                .where(ContentItem.account_id == account_id, Case.id != case.id)
                .order_by(Case.opened_at.desc())
                .distinct()
                .limit(50)
            )
        )
        items = len(
            list(
                session.scalars(select(ContentItem.id).where(ContentItem.account_id == account_id))
            )
        )
        out.append(
            UploaderHistory(
                account_id=account_id,
                state=account.state if account else "unknown",
                strikes=account.strikes if account else 0,
                suspended_at=account.suspended_at if account else None,
                other_cases=others,
                item_count=items,
            )
        )
    return out


# -- a reviewer's viewing settings (DESIGN rule 9) -------------------------------------------


@dataclass(frozen=True)
class ViewingSettings:
    """How media look before a reveal: blurred by `blur_px` and, by default, in greyscale."""

    blur_px: int = 24
    greyscale: bool = True


MAX_BLUR_PX = 64
MIN_BLUR_PX = 4


def viewing_settings(user: User) -> ViewingSettings:
    stored = user.settings or {}
    default = ViewingSettings()
    blur = stored.get("blur_px", default.blur_px)
    grey = stored.get("greyscale", default.greyscale)
    return ViewingSettings(
        blur_px=int(blur) if isinstance(blur, int) else default.blur_px,
        greyscale=bool(grey),
    )


def save_viewing_settings(
    session: Session, user: User, blur_px: int, greyscale: bool, now: datetime
) -> ViewingSettings:
    """Store a user's choice. Blur never goes below a floor: a preview is never a clear view."""
    if not MIN_BLUR_PX <= blur_px <= MAX_BLUR_PX:
        raise Invalid(
            f"blur strength is between {MIN_BLUR_PX} and {MAX_BLUR_PX} pixels", "invalid_blur"
        )
    user.settings = {**(user.settings or {}), "blur_px": blur_px, "greyscale": greyscale}
    session.flush()
    record_staff_action(
        session,
        StaffAction.SETTINGS_CHANGED,
        user.name,
        user.name,
        now,
        {"blur_px": blur_px, "greyscale": greyscale},
    )
    return ViewingSettings(blur_px, greyscale)


def _release_idle(ctx: JobContext, session: Session, now: datetime) -> object:
    return release_idle_claims(session, now, timedelta(minutes=ctx.settings.claim_idle_minutes))


IDLE_CLAIMS_SWEEP = Sweep("claims.idle", _release_idle)
