"""Faults that must lose nothing acknowledged (issue 10 item 11): a webhook endpoint down for
hours of injected time, and PostgreSQL connections terminated under load. SIGKILL under load is
in tests/e2e/test_serve.py, with the other tests of a real `takedown serve`."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from takedown.clock import ManualClock
from takedown.services.webhooks import WEBHOOK_DELIVERY
from takedown.store.models import CaseEvent, OutboxJob, Report
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver

VICTIM = {
    "category": "child_sexual_exploitation",
    "reporter_role": "depicted_person",
    "depicts_minor": True,
}


def pending_deliveries(api: Api) -> list[OutboxJob]:
    with api.runtime.transaction() as session:
        query = select(OutboxJob).where(
            OutboxJob.kind == WEBHOOK_DELIVERY, OutboxJob.status == "pending"
        )
        return list(session.scalars(query.order_by(OutboxJob.next_attempt_at)))


def test_a_webhook_endpoint_down_for_30_hours_gets_every_event_once_it_is_back(
    api: Api, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    receiver.fail_first = 10**6  # down: every delivery is refused with a 503
    api.webhook(receiver)
    for n in range(8):
        api.register(f"p-{n}", f"acct-{n}")
        api.report(content_id=f"p-{n}", **VICTIM)
        clock.advance(timedelta(hours=1))  # events spread over the outage
    start = clock.now()
    while clock.now() - start < timedelta(hours=30):
        api.runtime.worker.drain()
        due = pending_deliveries(api)
        assert due, "a delivery gave up during a 30-hour outage"
        clock.set(max(due[0].next_attempt_at, clock.now() + timedelta(minutes=1)))
    refused_during_outage = receiver.refused
    receiver.fail_first = 0  # back up
    for _ in range(3):  # a retry is at most an hour away (capped back-off)
        clock.advance(timedelta(hours=1))
        api.runtime.worker.drain()
    with api.runtime.transaction() as session:
        announced = set(
            session.scalars(
                select(CaseEvent.id).where(CaseEvent.type.in_(["restrict", "escalate", "breach"]))
            )
        )
    got = receiver.wait_for(len(announced), timeout=10)
    assert refused_during_outage > 8 * 20  # it kept trying through the outage
    assert {d.json["id"] for d in got} == announced
    assert len(got) == len(announced)  # once each, now that the endpoint answers
    assert all(d.verified for d in got)
    assert pending_deliveries(api) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_terminated_postgresql_connections_lose_no_acknowledged_report(
    api: Api, database_url: str
) -> None:
    """Reports from several clients while every connection to the test's own database is
    terminated, twice: each report answered 201 is stored; the service keeps answering."""
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    client = TestClient(api.client.app, raise_server_exceptions=False)
    for n in range(4):
        api.register(f"p-{n}", f"acct-{n}")
    acknowledged: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def reporter(worker: int) -> None:
        for i in range(12):
            response = client.post(
                "/v1/reports",
                json={"content_id": f"p-{(worker + i) % 4}", **VICTIM},
            )
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 201:
                    acknowledged.append(response.json()["report_id"])

    threads = [threading.Thread(target=reporter, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    with admin.connect() as connection:
        for _ in range(2):
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    for t in threads:
        t.join()
    admin.dispose()
    # After the faults the service answers again, with no restart.
    after = client.post("/v1/reports", json={"content_id": "p-0", **VICTIM})
    assert after.status_code == 201, after.text
    acknowledged.append(after.json()["report_id"])
    assert all(s == 201 or s >= 500 for s in statuses), statuses  # never a wrong 4xx
    with api.runtime.transaction() as session:
        stored = set(session.scalars(select(Report.id).where(Report.id.in_(acknowledged))))
    assert stored == set(acknowledged)
