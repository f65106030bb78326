"""Shared fixtures. Every test that touches the database runs on SQLite and on PostgreSQL.

PostgreSQL is not optional: when it does not answer, the PostgreSQL half of the suite fails
loudly (the brief: a test that needs a service fails in CI, it is not skipped). Set
`TAKEDOWN_TEST_DATABASES=sqlite` to run only SQLite on a machine without it, knowingly.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.runtime import Runtime
from takedown.store.database import make_engine, upgrade
from takedown.store.schema import Base
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver

POSTGRES_ADMIN_URL = os.environ.get(
    "TAKEDOWN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASES = [
    d.strip() for d in os.environ.get("TAKEDOWN_TEST_DATABASES", "sqlite,postgresql").split(",")
]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test: faster than migrating every time."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test process, migrated once, dropped at the end."""
    name = f"takedown_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is required for the suite and did not answer at {POSTGRES_ADMIN_URL}: "
            f"{exc}. Start it (scripts/services) or set TAKEDOWN_TEST_DATABASES=sqlite.",
            pytrace=False,
        )
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "takedown.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    elif request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        engine = make_engine(url)
        _truncate_all(engine)
        engine.dispose()
        yield url
    else:
        raise ValueError(f"unknown test database {request.param!r}")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        run_worker=False,
        secret_key="test-secret-key",
        report_rate_limit="1000/minute",
    )


@pytest.fixture
def runtime(
    request: pytest.FixtureRequest, settings: Settings, clock: ManualClock
) -> Iterator[Runtime]:
    rt = Runtime.build(settings, clock, migrate=False)
    yield rt
    try:
        unchecked = ("audit_trail_broken", "database_killed")
        if not any(request.node.get_closest_marker(m) for m in unchecked):
            assert_audit_trail_intact(rt)
    finally:
        rt.close()


def assert_audit_trail_intact(rt: Runtime) -> None:
    """After every test: each case's events chain, and each case row is what they add up to.

    So any code path that changes a case without recording an event fails the test that runs it.
    """
    from takedown.services.audit_verify import verify

    with rt.transaction() as session:
        report = verify(session)
    assert report.intact, [b.describe() for b in report.breaks or []]


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    from fastapi.testclient import TestClient

    from takedown.app import create_app

    with TestClient(create_app(runtime, run_worker=False)) as client:
        yield Api(client, runtime)


@pytest.fixture
def proxied_api(settings: Settings, clock: ManualClock) -> Iterator[Api]:
    """The API behind a trusted proxy on 127.0.0.1 (TAKEDOWN_TRUSTED_PROXIES): each request's
    X-Forwarded-For says which client sent it, so tests can report from many networks."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from takedown.app import create_app

    rt = Runtime.build(replace(settings, trusted_proxies="127.0.0.1"), clock, migrate=False)
    try:
        app = create_app(rt, run_worker=False)
        with TestClient(app, client=("127.0.0.1", 50000)) as client:
            yield Api(client, rt)
    finally:
        rt.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(secret="whsec-test-0123456789")
    yield r
    r.close()
