"""The engine, sessions and migrations. One code path for SQLite and PostgreSQL."""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, Executable, Row, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker

from takedown.store.insert_flush import InsertFlushSession
from takedown.store.sqlite_writes import QueuedWrites

MIGRATIONS = Path(__file__).parent / "migrations"

# A unit of work that commits on success and rolls back on error (Runtime.transaction): what a
# use case that owns its transaction is given, rather than the whole runtime.
Transaction = Callable[[], AbstractContextManager[Session]]


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` spelling and use the psycopg 3 driver for it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "factory": QueuedWrites},
            pool_pre_ping=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers work while the worker writes; foreign keys are off by default.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: a report acknowledged to its sender survives power loss, not only a crash.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            if path and path != ":memory:":
                owner_only(Path(path))

        return engine
    # No `pool_pre_ping`: its SELECT 1 was a round trip per checkout, two per authenticated
    # request (issue 15). A pooled PostgreSQL connection is idle, so anything readable on its
    # socket is the server hanging up (a terminated backend's notice, a restart's EOF); such
    # a connection is swapped for a fresh one before use, with no query.
    engine = create_engine(url, pool_size=10, max_overflow=20)
    event.listen(engine, "checkout", _refuse_hung_up)
    return engine


def _refuse_hung_up(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if dbapi_connection.closed or _server_spoke(dbapi_connection.pgconn.socket):
        # The pool discards this connection and checks out another (SQLAlchemy's
        # "disconnect handling, pessimistic": a DisconnectionError on checkout).
        raise exc.DisconnectionError("the database server closed this pooled connection")


def _server_spoke(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def owner_only(database: Path) -> None:
    """The database file (and its WAL files) readable by this user only: it names reporters
    and holds every decision (issue 10.9 found it created world-readable)."""
    for file in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            continue


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, class_=InsertFlushSession, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def one_row(
    session: Session, statement: Executable, params: Mapping[str, Any]
) -> Row[*tuple[Any, ...]]:
    """The one row a Core `statement` answers, run on the session's connection. For a short
    read on a hot path the ORM's execution (its compile state and result processing) cost
    more than the statement itself (issue 15). What the session holds pending is flushed
    first, as its autoflush would have."""
    return core_rows(session, statement, params).one()


def core_rows(
    session: Session, statement: Executable, params: Mapping[str, Any]
) -> CursorResult[*tuple[Any, ...]]:
    """The rows of a Core `statement` on the session's connection (see `one_row`)."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()  # as the ORM's autoflush would, and not inside `no_autoflush`
    return session.connection().execute(statement, params)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to date; the service calls this on every start.

    "heads": each feature area adds its tables on its own migration branch from the core.
    """
    command.upgrade(alembic_config(engine), revision)
