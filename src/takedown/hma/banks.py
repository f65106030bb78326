"""HMA banks and bank content, as Takedown banks and their entries (services.banks).

An HMA bank is a Takedown bank whose name follows HMA's rule (`^[A-Z_][A-Z0-9_]*$`); banks made
here act like any Takedown bank created with action `review` (a match opens a case for a
reviewer; it never hides or removes by itself). Bank content: takedown.hma.content.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from takedown.domain.banks import BankAction
from takedown.hma.errors import HmaError
from takedown.services import banks as takedown_banks
from takedown.store.banks import Bank, BankHash
from takedown.store.types import new_id

HMA_BANK_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
NAME_RULE = "Bank names must be UPPER_WITH_UNDERSCORE"


# -- banks --------------------------------------------------------------------------------------


def bank_config(bank: Bank) -> dict[str, Any]:
    return {"name": bank.name, "matching_enabled_ratio": float(bank.enabled_ratio)}


def find_bank(session: Session, name: str) -> Bank | None:
    return session.scalars(select(Bank).where(Bank.name == name, Bank.deleted_at.is_(None))).first()


def require_bank(session: Session, name: str) -> Bank:
    bank = find_bank(session, name)
    if bank is None:
        raise HmaError(404, f"bank '{name}' not found", "bank_not_found")
    return bank


def list_banks(session: Session) -> list[dict[str, Any]]:
    return [bank_config(b) for b, _ in takedown_banks.list_banks(session)]


def create_bank(
    session: Session, name: str, enabled_ratio: float, actor: str, now: datetime
) -> Bank:
    if not HMA_BANK_NAME.fullmatch(name) or len(name) > 100:
        raise HmaError(400, NAME_RULE, "invalid_bank_name")
    if session.scalars(select(Bank).where(Bank.name == name)).first() is not None:
        raise HmaError(403, "Bank already exists", "bank_exists")
    bank = Bank(
        id=new_id("bank"),
        name=name,
        action=BankAction.REVIEW.value,
        child_safety=False,
        description="created through the HMA API",
        pdq_threshold=None,
        suppression=False,
        enabled_ratio=enabled_ratio,
        created_at=now,
        created_by=actor,
    )
    session.add(bank)
    session.flush()
    return bank


def update_bank(
    session: Session,
    name: str,
    new_name: str | None,
    enabled: bool | None,
    enabled_ratio: float | None,
) -> Bank:
    bank = find_bank(session, name)
    if bank is None:
        raise HmaError(404, "Bank not found", "bank_not_found")
    if new_name is not None and new_name != bank.name:
        _guard_child_safety(bank, "renamed")
        if not HMA_BANK_NAME.fullmatch(new_name) or len(new_name) > 100:
            raise HmaError(400, NAME_RULE, "invalid_bank_name")
        if session.scalars(select(Bank).where(Bank.name == new_name)).first() is not None:
            raise HmaError(403, "Bank name already exists", "bank_exists")
        bank.name = new_name
    if enabled is not None:
        bank.enabled_ratio = 1.0 if enabled else 0.0
    if enabled_ratio is not None:
        bank.enabled_ratio = enabled_ratio
    session.flush()
    return bank


def _guard_child_safety(bank: Bank, what: str) -> None:
    """A child-safety bank (NCMEC's list, the internal bank confirmed CSAM goes to) is not
    renamed or deleted through HMA, whose banks have no such notion: a lost CSAM bank lets
    known material back up (DESIGN rule 10, nothing is lost)."""
    if bank.child_safety:
        raise HmaError(
            403,
            f"bank '{bank.name}' is a child-safety bank and is not {what} through HMA",
            "child_safety_bank",
        )


def delete_bank(session: Session, name: str, now: datetime) -> None:
    """Retire every entry and set the bank aside under a name no one can take, which frees its
    own name; a bank that does not exist is already deleted (HMA answers the same)."""
    bank = find_bank(session, name)
    if bank is None:
        return
    _guard_child_safety(bank, "deleted")
    for row in session.scalars(
        select(BankHash).where(BankHash.bank_id == bank.id, BankHash.retired_at.is_(None))
    ):
        row.retired_at = now
    bank.deleted_at = now
    bank.name = f"{bank.name[: 99 - len(bank.id)]}~{bank.id}"
    session.flush()
