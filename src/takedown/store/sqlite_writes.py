"""SQLite writers of one process wait their turn in a queue rather than in SQLite's busy handler.

SQLite lets one connection write at a time. A writer that finds the database locked sleeps in
the busy handler (1, 2, 5 … up to 100 ms, then retries), so under a burst of reports the
worker's lease lost the write lock to each report that came later and found it free, and P0
webhooks waited seconds. Here a connection takes this process's turn before its first write
of a transaction (the statement after which SQLite holds its write lock too) and gives it
back when the transaction ends; writers then go one after another, without sleeping.

Holding the turn is holding SQLite's write lock, begun and ended at the same statements, so
it adds no wait SQLite would not impose; a turn not had within the busy timeout is gone
without, leaving SQLite's own lock and timeout as before.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Self

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class QueuedWrites(sqlite3.Connection):
    """A sqlite3 connection (`sqlite3.connect(factory=QueuedWrites)`) whose write transactions
    take the turn of `turn_for(database)`."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._turn = turn_for(str(database))
        self._timeout = float(kwargs.get("timeout", 5.0))
        self._holding = False

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or _Cursor)

    def before_write(self) -> None:
        # With isolation_level None every statement commits alone: no transaction to hold.
        if self._holding or self.in_transaction or self.isolation_level is None:
            return
        self._holding = self._turn.acquire(timeout=self._timeout)

    def _give_back(self) -> None:
        if self._holding:
            self._holding = False
            self._turn.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._give_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_back()


class _Cursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        _before(self, sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Self:
        _before(self, sql)
        return super().executemany(sql, parameters)


def _before(cursor: sqlite3.Cursor, sql: str) -> None:
    connection = cursor.connection
    if isinstance(connection, QueuedWrites) and sql.lstrip()[:7].upper().startswith(_WRITES):
        connection.before_write()


_TURNS: dict[str, threading.Lock] = {}
_TURNS_GUARD = threading.Lock()


def turn_for(database: str) -> threading.Lock:
    """The write turn of one database file in this process."""
    with _TURNS_GUARD:
        return _TURNS.setdefault(database, threading.Lock())
