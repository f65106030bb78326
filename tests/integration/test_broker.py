"""Jobs through a real broker (TAKEDOWN_BROKER_URL): Redis and RabbitMQ, on both databases.

The services must be running (scripts/services starts them); a missing broker fails here.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.outbox import broker as outbox_broker
from takedown.outbox.worker import QUEUED, Leased
from takedown.store.models import OutboxJob
from tests.support.brokers import forget_namespace
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver

VICTIM = {"reporter_role": "depicted_person", "depicts_minor": True}
BROKERS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/%2F",
}


@pytest.fixture(params=sorted(BROKERS))
def broker_url(request: pytest.FixtureRequest) -> str:
    return BROKERS[str(request.param)]


@pytest.fixture
def namespace(broker_url: str) -> Iterator[str]:
    name = f"takedown-test-{uuid.uuid4().hex[:10]}"
    yield name
    forget_namespace(broker_url, name)


def test_jobs_go_through_the_broker_and_every_one_is_done(
    api: Api, receiver: WebhookReceiver, broker_url: str, namespace: str, clock: ManualClock
) -> None:
    rt = api.runtime
    rt.worker.settings = replace(rt.settings, broker_url=broker_url, broker_namespace=namespace)
    ran_by_consumer: list[int] = []
    run_job = rt.worker.run_job

    def recorded(job_id: int, leased: bool = False) -> str | None:
        # By a consumer: the message's job, or one due after it in its lane (run_handed).
        ran_by_consumer.append(job_id)
        return run_job(job_id, leased)

    rt.worker.run_job = recorded  # type: ignore[method-assign]
    api.webhook(receiver)
    for n in range(3):
        api.register(f"p-{n}")
        api.report(content_id=f"p-{n}", **VICTIM)
    with rt.transaction() as session:
        expected = len(
            list(session.scalars(select(OutboxJob.id).where(OutboxJob.kind == "webhook.deliver")))
        )
    thread = threading.Thread(
        target=outbox_broker.run_worker,
        args=(rt.worker, broker_url, namespace, 2, 0.05, 60.0),
        daemon=True,
    )
    thread.start()
    try:
        # A restriction waits (200 ms on the job clock) for its evidence job: move the clock on
        # while waiting for the deliveries, as time would.
        # The jobs that ran may queue more deliveries (evidence preserved, say), so the count
        # alone can be reached before every restriction arrived.
        def restricted() -> set[str]:
            return {
                d.json["data"]["content_id"]
                for d in receiver.deliveries
                if d.json["type"] == "content.restricted"
            }

        for _ in range(150):
            delivered = receiver.wait_for(expected, timeout=0.2)
            if len(delivered) >= expected and len(restricted()) == 3:
                break
            clock.advance(timedelta(seconds=1))
        assert restricted() == {"p-0", "p-1", "p-2"}, [d.json["type"] for d in delivered]
        assert all(d.verified for d in delivered)
    finally:
        rt.worker.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
    with rt.transaction() as session:
        rows = list(session.scalars(select(OutboxJob)))
        # Every job that was due ran, and ran through a broker consumer.
        assert rows and all(r.status == "done" for r in rows), [(r.kind, r.status) for r in rows]
        assert {r.id for r in rows} <= set(ran_by_consumer)


def test_a_job_the_broker_refused_stays_due(api: Api, receiver: WebhookReceiver) -> None:
    """The hand-over runs before the lease commits: a broker that is down leaves the job
    exactly as it was, to be handed on (or run) later."""
    api.webhook(receiver)
    api.register("p-1")
    api.report(content_id="p-1", **VICTIM)
    worker = api.runtime.worker

    def broker_down(_leased: list[Leased]) -> None:
        raise ConnectionError("broker unreachable")

    with pytest.raises(ConnectionError):
        worker._lease(api.runtime.clock.now(), holder=QUEUED + "x", hand_on=broker_down)
    with api.runtime.transaction() as session:
        rows = list(session.scalars(select(OutboxJob)))
    assert rows and all(r.locked_by is None and r.status == "pending" for r in rows)
    assert worker.drain() >= 1
    assert receiver.wait_for(1, 5)


def test_a_broker_url_of_another_scheme_is_refused_with_the_setting_named() -> None:
    with pytest.raises(outbox_broker.BrokerUrlInvalid, match="TAKEDOWN_BROKER_URL"):
        outbox_broker.make_broker("http://127.0.0.1:6379")
