"""Signed webhook deliveries through the outbox: at least once, same id, back-off, 72 hours."""

from __future__ import annotations

import json
import os
from datetime import timedelta

from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.outbox.signing import sign, verify
from takedown.services.webhooks import WEBHOOK_DELIVERY
from takedown.store.models import OutboxJob
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver

VICTIM = {
    "category": "child_sexual_exploitation",
    "reporter_role": "depicted_person",
    "depicts_minor": True,
}


def jobs(api: Api) -> list[OutboxJob]:
    with api.runtime.transaction() as session:
        # Webhook deliveries only: hiding content also queues its evidence copy (issue 5).
        query = select(OutboxJob).where(OutboxJob.kind == WEBHOOK_DELIVERY)
        return list(session.scalars(query.order_by(OutboxJob.id)))


def test_restriction_is_delivered_signed_with_the_event_id(
    api: Api, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    api.register("p-1", account_id="acct-9")
    out = api.report(content_id="p-1", **VICTIM)
    api.runtime.worker.drain()
    [delivery] = receiver.wait_for(1, timeout=5)
    assert delivery.verified
    body = delivery.json
    assert body["type"] == "content.restricted"
    assert body["data"] == {
        "content_id": "p-1",
        "account_id": "acct-9",
        "case_id": out["case_id"],
        "reason": body["data"]["reason"],
        # What the platform may show the uploader (services.statement_of_reasons).
        "statement_of_reasons": body["data"]["statement_of_reasons"],
    }
    assert body["data"]["reason"]
    assert body["data"]["statement_of_reasons"]["action"] == "restricted"
    restrict_event = [e for e in api.case(out["case_id"])["events"] if e["type"] == "restrict"]
    assert body["id"] == restrict_event[0]["id"]
    assert body["created_at"].endswith("Z")


def test_signature_is_hmac_of_timestamp_and_raw_body(receiver: WebhookReceiver) -> None:
    body = b'{"id":"evt_1"}'
    header = sign("secret", 1700000000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify("secret", header, body, now=1700000010)
    assert not verify("other", header, body, now=1700000010)
    assert not verify("secret", header, body + b" ", now=1700000010)
    assert not verify("secret", header, body, now=1700009999)  # replayed long after


def test_failures_are_retried_with_exponential_backoff_and_the_same_id(
    api: Api, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    receiver.fail_first = 3
    api.webhook(receiver)
    api.register("p-1")
    api.report(content_id="p-1", **VICTIM)
    api.runtime.worker.drain()
    [job] = jobs(api)
    assert (job.status, job.attempts) == ("pending", 1)
    first_retry = job.next_attempt_at - clock.now()
    for _ in range(2):
        clock.set(job.next_attempt_at)
        api.runtime.worker.drain()
        [job] = jobs(api)
    assert job.attempts == 3
    assert job.next_attempt_at - clock.now() == first_retry * 4  # 1 s, 2 s, 4 s ...
    clock.set(job.next_attempt_at)
    api.runtime.worker.drain()
    [delivery] = receiver.wait_for(1, timeout=5)
    assert receiver.refused == 3
    assert delivery.verified
    [job] = jobs(api)
    assert (job.status, job.attempts) == ("done", 4)
    assert job.payload["body"]["id"] == delivery.json["id"]


def test_deliveries_keep_trying_for_72_hours_then_stop(
    api: Api, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    receiver.fail_first = 10**6
    api.webhook(receiver)
    api.register("p-1")
    api.report(content_id="p-1", **VICTIM)
    start = clock.now()
    attempts_before_72h = 0
    while True:
        api.runtime.worker.drain()
        # Later jobs (the deadline sweep's case.escalated) share the outage; follow the first.
        job = jobs(api)[0]
        if job.status != "pending":
            break
        attempts_before_72h = job.attempts
        clock.set(job.next_attempt_at)
    assert job.status == "dead"
    assert clock.now() - start >= timedelta(hours=72)
    # Back-off is capped at an hour, so a 72-hour outage still sees dozens of attempts.
    assert attempts_before_72h > 70
    assert job.last_error and "503" in job.last_error


def test_an_event_is_queued_once_per_endpoint(api: Api, receiver: WebhookReceiver) -> None:
    api.webhook(receiver)
    second = WebhookReceiver(secret="another-secret-value")
    try:
        api.webhook(second)
        api.register("p-1")
        api.report(content_id="p-1", **VICTIM)
        api.report(content_id="p-1", **VICTIM)  # already restricted: no second restriction
        api.runtime.worker.drain()
        assert len(receiver.wait_for(1, 5)) == 1
        assert len(second.wait_for(1, 5)) == 1
        assert receiver.deliveries[0].json["id"] == second.deliveries[0].json["id"]
        assert len(jobs(api)) == 2
    finally:
        second.close()


def test_bad_webhook_registrations_are_refused(api: Api) -> None:
    for body in (
        {"url": "ftp://x", "secret": "s"},
        {"url": "https://x.example/h", "secret": ""},
        {"url": "https://x.example/h"},
    ):
        response = api.client.post("/v1/webhooks", json=body, headers=api.key("platform"))
        assert response.status_code == 422, body
    assert (
        api.client.post(
            "/v1/webhooks", json={"url": "https://x.example/h", "secret": "s"}
        ).status_code
        == 401
    )


def test_body_is_the_same_bytes_on_every_attempt(api: Api, receiver: WebhookReceiver) -> None:
    api.webhook(receiver)
    api.register("p-1")
    api.report(content_id="p-1", **VICTIM)
    [job] = jobs(api)
    stored = json.dumps(job.payload["body"], separators=(",", ":"), sort_keys=True).encode()
    api.runtime.worker.drain()
    [delivery] = receiver.wait_for(1, 5)
    assert delivery.body == stored


def test_leases_left_by_a_killed_worker_are_released_on_start(
    api: Api, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    api.webhook(receiver)
    api.register("p-1")
    api.report(content_id="p-1", **VICTIM)
    leased = api.runtime.worker._lease(clock.now())  # a worker takes the jobs, then dies
    assert leased
    assert api.runtime.worker.drain() == 0  # the leases hold them back
    assert receiver.deliveries == []
    assert api.runtime.worker.release_leases() == len(leased)
    assert api.runtime.worker.drain() >= 1
    assert len(receiver.wait_for(1, 5)) == 1


def test_only_leases_of_dead_processes_on_this_host_are_released(
    api: Api, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    import socket
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(gone.stdout)  # a process that has exited
    host = socket.gethostname()
    api.webhook(receiver)
    for n in range(3):
        api.register(f"p-{n}", account_id=f"acct-{n}")
        api.report(content_id=f"p-{n}", **VICTIM)
    holders = [
        f"{host}:{dead_pid}:aaaa",
        f"{host}:{os.getpid()}:bbbb",
        f"elsewhere:{dead_pid}:cccc",
    ]
    with api.runtime.transaction() as session:
        pending = list(
            session.scalars(select(OutboxJob).where(OutboxJob.kind == "webhook.deliver"))
        )
        assert len(pending) == 3
        for job, holder in zip(pending, holders, strict=True):
            job.locked_until = clock.now() + timedelta(seconds=60)
            job.locked_by = holder
    assert api.runtime.worker.release_orphaned_leases() == 1
    with api.runtime.transaction() as session:
        left = {j.locked_by for j in session.scalars(select(OutboxJob)) if j.locked_until}
    assert left == set(holders[1:])
