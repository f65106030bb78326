"""The database gone or the disk full: 503 with Retry-After, and health checks that say so (10.8).

The probe saw reports get 500s or dropped connections while `/healthz` said ok.
"""

from __future__ import annotations

import errno
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from takedown.app import create_app
from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.runtime import Runtime
from takedown.services import health
from takedown.store.database import make_sessionmaker
from takedown.store.evidence_vault import EvidenceVault
from tests.support.factories import Api
from tests.support.review import synthetic_png

DEAD = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def assert_unavailable(response: Any, code: str) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["error"]["code"] == code


def kill_database(api: Api) -> None:
    api.runtime.engine.dispose()
    api.runtime.engine = create_engine(DEAD)
    api.runtime.sessions = make_sessionmaker(api.runtime.engine)


@pytest.mark.database_killed
def test_a_dead_database_is_a_503_with_retry_after_on_every_kind_of_route(api: Api) -> None:
    key = api.key("reviewer")  # made while the database answers
    kill_database(api)
    report = api.client.post(
        "/v1/reports",
        json={"category": "other", "reporter_role": "third_party", "content_id": "p-1"},
    )
    assert_unavailable(report, "database_unavailable")
    assert_unavailable(api.client.get("/v1/cases", headers=key), "database_unavailable")
    assert "nobody" not in report.text and "127.0.0.1" not in report.text
    page = api.client.get("/report")
    assert page.status_code in (200, 503)  # the form needs no database; if it does, a 503


@pytest.mark.database_killed
def test_healthz_and_readyz_say_what_is_wrong(api: Api) -> None:
    assert api.client.get("/readyz").json() == {"status": "ok"}
    kill_database(api)
    for path in ("/healthz", "/readyz"):
        response = api.client.get(path)
        assert_unavailable(response, "database_unavailable")
        assert "database does not answer" in response.json()["checks"]["database"]


def test_a_full_data_folder_makes_readyz_fail_but_not_healthz(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_path: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(health.shutil, "disk_usage", full)
    ready = api.client.get("/readyz")
    assert_unavailable(ready, "disk_full")
    assert ready.json()["checks"] == {
        "database": "ok",
        "data_folder": "the data folder's disk is full",
    }
    assert api.client.get("/healthz").status_code == 200


def test_a_full_disk_while_keeping_evidence_is_a_503_and_records_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    api.report(content_id="p-9", reporter_role="depicted_person", depicts_minor=True)
    monkeypatch.setattr(EvidenceVault, "put", full)
    response = api.client.post(
        "/v1/content",
        data={"content_id": "p-9", "account_id": "acct-z"},
        files={"file": ("p-9.png", synthetic_png(9), "image/png")},
        headers=api.key("platform"),
    )
    assert_unavailable(response, "disk_full")
    missing = api.client.get("/v1/content/p-9", headers=api.key("platform"))
    assert missing.status_code == 404  # rolled back: the platform's retry registers it


def test_a_full_disk_while_spooling_an_upload_is_a_503_not_a_400(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FullDisk(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
        def write(self, _data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("starlette.formparsers.SpooledTemporaryFile", FullDisk)
    response = api.client.post(
        "/v1/content",
        data={"content_id": "p-1", "account_id": "acct-z"},
        files={"file": ("p-1.png", synthetic_png(1), "image/png")},
        headers=api.key("platform"),
    )
    assert_unavailable(response, "disk_full")


@pytest.fixture
def postgres_api(postgres_url: str, tmp_path: Any) -> Iterator[Api]:
    """PostgreSQL only: its server can end this test's connections, as a failover does."""
    settings = Settings(
        database_url=postgres_url,
        data_dir=tmp_path / "data",
        run_worker=False,
        secret_key="test-secret-key",
        report_rate_limit="1000/minute",
    )
    runtime = Runtime.build(replace(settings), ManualClock(), migrate=False)
    with TestClient(create_app(runtime, run_worker=False)) as client:
        yield Api(client, runtime)


def test_connections_ended_by_the_database_server_are_not_a_500(
    postgres_api: Api, postgres_url: str
) -> None:
    api = postgres_api
    api.register("p-1")
    name = postgres_url.rsplit("/", 1)[1]
    admin = create_engine(
        postgres_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar_one()
    admin.dispose()
    assert ended >= 1  # the pool's idle connections are gone under it
    response = api.client.post(
        "/v1/reports",
        json={"category": "other", "reporter_role": "third_party", "content_id": "p-1"},
    )
    assert response.status_code == 201, response.text


def test_a_connection_dropped_in_the_middle_of_a_report_is_a_503_and_a_retry_works(
    postgres_api: Api, postgres_url: str
) -> None:
    from sqlalchemy import event

    api = postgres_api
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    dropped: list[int] = []

    def drop_once(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The server ends this very connection as the report is written (a failover, a kill).
        if not dropped and "INSERT INTO REPORTS" in statement.upper():
            pid = connection.connection.dbapi_connection.info.backend_pid
            dropped.append(pid)
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(api.runtime.engine, "before_cursor_execute", drop_once)
    body = {"category": "other", "reporter_role": "third_party", "url": "https://x.example/1"}
    try:
        failed = api.client.post("/v1/reports", json=body)
        assert dropped, "the report was never written"
        assert_unavailable(failed, "database_unavailable")
        again = api.client.post("/v1/reports", json=body)
        assert again.status_code == 201, again.text
    finally:
        event.remove(api.runtime.engine, "before_cursor_execute", drop_once)
        admin.dispose()
