"""Cases opened in the session's current transaction: what the session holds is all there is.

No other transaction can see a case before the one that inserted it commits, so nothing else
can have appended an event, a report, a link or a measures row to it. For such a case the
event chain's head, its reports and links, its events and its measures row are the ones in
memory, and reading them back from the database would only repeat them (issue 15: a new
report was fourteen statements, most of them reading back what it had just written).

Once the transaction ends (commit or rollback) the case is an ordinary one again: a later
transaction on the same session reads the database, since by then others may write to it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import instance_state

from takedown.store.models import Case, CaseEvent
from takedown.store.oversight import CaseMeasure

_OPENED_IN = "fresh_cases.opened_in"
_EVENTS = "fresh_cases.events"
_MEASURES = "fresh_cases.measures"


def _current(session: Session) -> SessionTransaction | None:
    return session.get_transaction()


def mark_opened(session: Session, case: Case) -> None:
    """Note that `case` is being created by the session's current transaction."""
    tx = _current(session)
    if tx is None:
        return  # no transaction to tie it to: treat it as any case (the safe side)
    info = instance_state(case).info
    info[_OPENED_IN] = tx
    info[_EVENTS] = []


def opened_here(session: Session, case: Case) -> bool:
    """Whether `case` was opened by the transaction the session is in now."""
    tx = _current(session)
    return tx is not None and instance_state(case).info.get(_OPENED_IN) is tx


def note_event(session: Session, case: Case, event: CaseEvent) -> None:
    if opened_here(session, case):
        instance_state(case).info[_EVENTS].append(event)


def events(session: Session, case: Case) -> list[CaseEvent] | None:
    """Every event of a case opened here, in order; None for any other case (read them)."""
    if not opened_here(session, case):
        return None
    return sorted(instance_state(case).info[_EVENTS], key=lambda e: e.seq)


def measures_row(session: Session, case: Case) -> tuple[bool, CaseMeasure | None]:
    """(known, row): for a case opened here, its measures row so far (None before the first
    refresh) with known=True; for any other case known=False and the caller reads it."""
    if not opened_here(session, case):
        return False, None
    row: CaseMeasure | None = instance_state(case).info.get(_MEASURES)
    return True, row


def keep_measures_row(session: Session, case: Case, row: CaseMeasure) -> None:
    if opened_here(session, case):
        instance_state(case).info[_MEASURES] = row
