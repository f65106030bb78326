"""Taking turns on one item across concurrent transactions.

Two reports of the same registered item, sent at the same moment, each looked for the item's
case, each found none (neither had committed), and each opened one: two cases for one item,
and the second's evidence record broke the one-record-per-item rule, so that reporter got a
500 and their report was lost (issue 15, found by bench/crowded_case.py). A report of a
registered item takes the item's turn before it looks for the case, so the second looks only
once the first has committed, and finds its case.

On PostgreSQL the turn is a transaction-scoped advisory lock keyed by the item; it writes
nothing and ends with the transaction. SQLite has one writer at a time: the turn is its write
lock, taken by a write that changes nothing, which also starts the transaction, so that what
is read after it is what the writer before committed.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session

_ADVISORY = text("SELECT pg_advisory_xact_lock(:key)")
# Takes SQLite's write lock (and this process's write turn, store.sqlite_writes) and nothing
# else: no row matches.
_SQLITE_WRITE = text("UPDATE content_items SET id = id WHERE 0")


def take_item_turn(session: Session, content_id: str) -> None:
    """Wait until no other transaction holds this item's turn, and hold it until this one
    ends."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(_ADVISORY, {"key": lock_key("item:" + content_id)})
    elif dialect == "sqlite":
        session.execute(_SQLITE_WRITE)
    else:
        raise NotImplementedError(f"no item turns on {dialect}")


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for `name` (PostgreSQL's bigint)."""
    digest = hashlib.sha256(b"takedown:" + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
