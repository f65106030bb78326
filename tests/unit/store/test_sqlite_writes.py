"""SQLite writers of one process queue for the write lock (store.sqlite_writes)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from takedown.store.sqlite_writes import QueuedWrites, turn_for


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "queue.db")
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE reports (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    setup.commit()
    setup.close()
    yield path


def connect(path: str, timeout: float = 30.0) -> QueuedWrites:
    """A connection as SQLAlchemy makes one; statements go through its cursors, as
    SQLAlchemy sends them (the `Connection.execute` shortcut makes a plain cursor)."""
    connection = sqlite3.connect(
        path, factory=QueuedWrites, timeout=timeout, check_same_thread=False
    )
    assert isinstance(connection, QueuedWrites)
    return connection


def test_a_write_transaction_holds_the_turn_until_it_ends(database: str) -> None:
    turn = turn_for(database)
    connection = connect(database)
    connection.cursor().execute("SELECT count(*) FROM reports").fetchall()
    assert not turn.locked()  # reading takes no turn
    connection.cursor().execute("INSERT INTO reports (body) VALUES ('a')")
    connection.cursor().execute("INSERT INTO reports (body) VALUES ('b')")
    assert turn.locked()
    connection.commit()
    assert not turn.locked()
    connection.cursor().execute("UPDATE reports SET body = 'c'")
    assert turn.locked()
    connection.rollback()
    assert not turn.locked()
    connection.cursor().execute("DELETE FROM reports")
    connection.close()  # an open transaction closed with its connection
    assert not turn.locked()


def test_a_failed_write_gives_the_turn_back_with_its_rollback(database: str) -> None:
    turn = turn_for(database)
    connection = connect(database)
    with pytest.raises(sqlite3.IntegrityError):
        connection.cursor().execute("INSERT INTO reports (body) VALUES (NULL)")
    connection.rollback()
    assert not turn.locked()
    connection.cursor().execute("INSERT INTO reports (body) VALUES ('after')")
    connection.commit()
    assert connection.cursor().execute("SELECT body FROM reports").fetchall() == [("after",)]


def test_a_second_writer_waits_for_the_turn_and_writes_once_it_is_given_back(
    database: str,
) -> None:
    first, second = connect(database), connect(database)
    first.cursor().execute("INSERT INTO reports (body) VALUES ('first')")
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            second.cursor().execute("INSERT INTO reports (body) VALUES ('second')")
            second.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    first.commit()
    assert done.wait(30)
    writer.join()
    assert errors == []
    rows = first.cursor().execute("SELECT body FROM reports ORDER BY id").fetchall()
    assert rows == [("first",), ("second",)]


def test_many_writers_at_once_all_commit(database: str) -> None:
    connections = [connect(database) for _ in range(8)]
    errors: list[BaseException] = []

    def write(connection: QueuedWrites, n: int) -> None:
        try:
            for i in range(25):
                connection.cursor().execute("INSERT INTO reports (body) VALUES (?)", (f"{n}-{i}",))
                connection.cursor().execute("UPDATE reports SET body = body WHERE id = 1")
                connection.commit()
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(c, n)) for n, c in enumerate(connections)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
    assert errors == []
    assert connections[0].cursor().execute("SELECT count(*) FROM reports").fetchone() == (200,)
    assert not turn_for(database).locked()


def test_an_autocommit_connection_takes_no_turn(database: str) -> None:
    connection = connect(database)
    connection.isolation_level = None
    connection.cursor().execute("INSERT INTO reports (body) VALUES ('alone')")
    assert not turn_for(database).locked()
    assert not connection.in_transaction


def test_a_writer_inside_a_writer_of_one_thread_times_out_as_sqlite_would(
    database: str,
) -> None:
    """The turn mirrors SQLite's write lock: a second connection writing while the first
    holds it fails after the busy timeout, as without the queue, rather than hang."""
    outer, inner = connect(database), connect(database, timeout=0.2)
    outer.cursor().execute("INSERT INTO reports (body) VALUES ('outer')")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        inner.cursor().execute("INSERT INTO reports (body) VALUES ('inner')")
    inner.rollback()
    outer.commit()
    assert not turn_for(database).locked()
