"""Jobs are declared once each, run per queue, and a slow endpoint holds only its own lane
(issue 15, items 2 and 3)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event, select

from takedown import jobs
from takedown.outbox.worker import QUEUED, Leased, Worker
from takedown.runtime import declared_jobs
from takedown.services.webhooks import WEBHOOK_DELIVERY
from takedown.store.models import OutboxJob
from tests.support.banks import content, upload
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver
from tests.support.synthetic_media import scene_frames, video_bytes

VICTIM = {"reporter_role": "depicted_person", "depicts_minor": True}


def outbox(api: Api) -> list[OutboxJob]:
    with api.runtime.transaction() as session:
        rows = list(session.scalars(select(OutboxJob).order_by(OutboxJob.id)))
        for row in rows:
            session.expunge(row)
        return rows


class _Url:
    """An endpoint that is never called: only its registration matters here."""

    url = "http://127.0.0.1:9/hooks"
    secret = "whsec-never-called"


def test_every_job_kind_is_declared_once_with_its_queue() -> None:
    declared = declared_jobs()
    assert set(declared) == {
        "webhook.deliver",
        "video.hash",
        "bank.scan",
        "filing.send",
        "dsa.submit",
        "evidence.capture",
        "evidence.purge",
        "notify.email",
        "exchange.fetch",
        "exchange.opinion",
    }
    assert declared["webhook.deliver"].queue == jobs.WEBHOOKS
    assert declared["video.hash"].queue == jobs.VIDEO
    assert declared["bank.scan"].queue == jobs.SCANS
    assert declared["filing.send"].queue == jobs.FILINGS
    with pytest.raises(ValueError, match="unknown queue"):
        jobs.Job("x.y", lambda *_: None, queue="nowhere")


def test_a_job_declared_twice_is_refused() -> None:
    import types

    one = types.ModuleType("one")
    two = types.ModuleType("two")
    one.JOB = jobs.Job("same.kind", lambda *_: None, queue=jobs.SCANS)  # type: ignore[attr-defined]
    two.JOB = jobs.Job("same.kind", lambda *_: None, queue=jobs.VIDEO)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="declared twice"):
        jobs.declared_in(one, two)


def test_recorded_jobs_carry_their_queue_and_endpoint_lane(api: Api) -> None:
    receiver_id = api.webhook(_Url())  # type: ignore[arg-type]
    api.register("p-1")
    api.report(content_id="p-1", **VICTIM)
    rows = outbox(api)
    assert rows and all(row.queue == declared_jobs()[row.kind].queue for row in rows)
    deliveries = [row for row in rows if row.kind == WEBHOOK_DELIVERY]
    assert deliveries and all(row.lane == f"webhook:{receiver_id}" for row in deliveries)
    assert all(row.lane is None for row in rows if row.kind != WEBHOOK_DELIVERY)


def test_one_endpoint_holds_at_most_its_lane_limit_of_webhook_slots(api: Api) -> None:
    slow = api.webhook(_Url())  # type: ignore[arg-type]
    api.client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/other", "secret": "whsec-other"},
        headers=api.key("platform"),
    ).raise_for_status()
    for n in range(4):
        api.register(f"p-{n}")
        api.report(content_id=f"p-{n}", **VICTIM)
    worker: Worker = api.runtime.worker
    now = api.runtime.clock.now()
    first = worker._lease(now, room={jobs.WEBHOOKS: 20})
    lanes = Counter(row.lane for row in outbox(api) if row.id in {j.id for j in first})
    limit = declared_jobs()[WEBHOOK_DELIVERY].lane_limit
    assert lanes[f"webhook:{slow}"] == limit
    assert len(lanes) == 2 and all(count == limit for count in lanes.values())
    # While those are in flight, neither endpoint gets another slot; the other queues do.
    assert worker._lease(now, room={jobs.WEBHOOKS: 20}) == []
    others = worker._lease(now, room={q: 20 for q in jobs.QUEUES if q != jobs.WEBHOOKS})
    assert all(j.queue != jobs.WEBHOOKS for j in others)


def test_a_laned_queue_has_room_for_several_lanes_at_their_limit() -> None:
    declared = declared_jobs()
    limit = declared[WEBHOOK_DELIVERY].lane_limit
    assert jobs.slots(jobs.WEBHOOKS, 2, declared) == jobs.LANES_WITH_ROOM * limit
    assert jobs.slots(jobs.WEBHOOKS, 64, declared) == 64  # --concurrency above it stands
    assert jobs.slots(jobs.VIDEO, 2, declared) == 2  # no lanes: the concurrency


def test_a_fast_endpoint_is_not_held_up_by_two_slow_ones(api: Api) -> None:
    """Two endpoints take 10 s a delivery; a third answers at once and gets every one of its
    deliveries while the slow ones still hold theirs (with one slot per lane limit in the
    queue, the first slow endpoint took every delivery slot)."""
    slow = [WebhookReceiver(secret=f"whsec-slow-{n}", hold_seconds=10) for n in range(2)]
    fast = WebhookReceiver(secret="whsec-fast")
    try:
        for endpoint in (*slow, fast):
            api.webhook(endpoint)
        for n in range(3):
            api.register(f"p-{n}")
            api.report(content_id=f"p-{n}", **VICTIM)
        per_endpoint = sum(row.kind == WEBHOOK_DELIVERY for row in outbox(api)) // 3
        limit = declared_jobs()[WEBHOOK_DELIVERY].lane_limit
        assert per_endpoint > limit  # each slow endpoint has more queued than its lane holds
        api.runtime.start_worker()
        assert all(endpoint.wait_started(limit, 30) >= limit for endpoint in slow)
        assert len(fast.wait_for(per_endpoint, 30)) == per_endpoint
        assert all(d.verified for d in fast.deliveries)
        assert all(endpoint.deliveries == [] for endpoint in slow)  # none answered meanwhile
    finally:
        for endpoint in (*slow, fast):
            endpoint.close()


def _handed_first(api: Api, lane: str) -> int:
    """The relay's part: the lane's first due job, leased as handed to a broker."""
    relay: Worker = api.runtime.worker
    leased = relay._lease(
        api.runtime.clock.now(), room={jobs.WEBHOOKS: 1}, holder=QUEUED + "relay", lane=lane
    )
    assert len(leased) == 1
    return leased[0].id


def test_a_handed_job_runs_the_jobs_due_after_it_in_its_lane(
    api: Api, receiver: WebhookReceiver
) -> None:
    """A broker's runner goes on with its lane's due jobs itself: one message, not one hop
    (relay, broker, claim) for every delivery to a busy endpoint."""
    hook = api.webhook(receiver)
    other = api.webhook(_Url())  # type: ignore[arg-type]
    for n in range(3):
        api.register(f"p-{n}")
        api.report(content_id=f"p-{n}", **VICTIM)
    lane = f"webhook:{hook}"
    mine = [row.id for row in outbox(api) if row.lane == lane]
    assert len(mine) > 1
    rt = api.runtime
    runner = Worker(rt.sessions, rt.clock, rt.settings, declared_jobs(), rt.installation)
    try:
        assert runner.run_handed(_handed_first(api, lane), jobs.WEBHOOKS) == len(mine)
    finally:
        runner.http.close()
    assert len(receiver.wait_for(len(mine), 5)) == len(mine)
    rows = {row.id: row for row in outbox(api)}
    assert all(rows[i].status == "done" and rows[i].attempts == 1 for i in mine)
    # The other endpoint's lane was not touched: its jobs wait for their own messages.
    theirs = [row for row in rows.values() if row.lane == f"webhook:{other}"]
    assert theirs and all(
        r.status == "pending" and r.attempts == 0 and r.locked_by is None for r in theirs
    )


def test_a_failed_delivery_ends_the_lane_run(api: Api) -> None:
    failing = WebhookReceiver(secret="whsec-failing", fail_first=100)
    try:
        hook = api.webhook(failing)
        for n in range(3):
            api.register(f"p-{n}")
            api.report(content_id=f"p-{n}", **VICTIM)
        lane = f"webhook:{hook}"
        rt = api.runtime
        runner = Worker(rt.sessions, rt.clock, rt.settings, declared_jobs(), rt.installation)
        try:
            first = _handed_first(api, lane)
            assert runner.run_handed(first, jobs.WEBHOOKS) == 1
        finally:
            runner.http.close()
        assert failing.refused == 1  # the endpoint was asked once, not once per job
        rows = [row for row in outbox(api) if row.lane == lane]
        [tried] = [r for r in rows if r.id == first]
        assert tried.status == "pending" and tried.attempts == 1 and tried.last_error
        rest = [r for r in rows if r.id != first]
        assert rest and all(r.attempts == 0 and r.locked_by is None for r in rest)
    finally:
        failing.close()


def test_two_leasers_that_read_a_job_as_due_lease_it_once(api: Api) -> None:
    """Between one leaser's read and its write, another leases the same jobs (SQLite has no
    row locks to stop it; on PostgreSQL the read locks them and the other skips them): each
    job is leased by one of the two, never both."""
    api.register("p-1")
    api.report(content_id="p-1", **VICTIM)
    rt = api.runtime
    first, second = (
        Worker(rt.sessions, rt.clock, rt.settings, declared_jobs(), rt.installation)
        for _ in range(2)
    )
    now = rt.clock.now()
    room = {q: 50 for q in jobs.QUEUES}
    theirs: list[list[Leased]] = []
    started = threading.Event()

    def lease_in_between(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE OUTBOX") and not started.is_set():
            started.set()
            other = threading.Thread(target=lambda: theirs.append(second._lease(now, room)))
            other.start()
            other.join(30)

    event.listen(rt.engine, "before_cursor_execute", lease_in_between)
    try:
        mine = first._lease(now, room)
    finally:
        event.remove(rt.engine, "before_cursor_execute", lease_in_between)
        for w in (first, second):
            w.http.close()
    assert started.is_set() and len(theirs) == 1
    by_first, by_second = {j.id for j in mine}, {j.id for j in theirs[0]}
    assert by_first or by_second
    assert not by_first & by_second
    holders = {row.id: row.locked_by for row in outbox(api)}
    assert all(holders[i] == first.worker_id for i in by_first)
    assert all(holders[i] == second.worker_id for i in by_second)


def test_a_job_handed_to_a_broker_is_claimed_by_one_runner_only(
    api: Api, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    api.register("p-1")
    api.report(content_id="p-1", **VICTIM)
    relay: Worker = api.runtime.worker
    now = api.runtime.clock.now()
    for preserve in relay._lease(now, room={jobs.EVIDENCE: 5}):
        relay.run_job(preserve.id)  # the restriction waits for its evidence: out of the way
    handed = relay._lease(now, room={jobs.WEBHOOKS: 5}, holder=QUEUED + relay.worker_id)
    assert handed
    rt = api.runtime
    one = Worker(rt.sessions, rt.clock, rt.settings, declared_jobs(), rt.installation)
    two = Worker(rt.sessions, rt.clock, rt.settings, declared_jobs(), rt.installation)
    job = handed[0].id
    assert one.claim(job, now)
    assert not two.claim(job, now)  # a duplicate message finds it taken
    one.run_job(job)
    two.run_job(job)  # and, once done, finds nothing to do
    assert len(receiver.wait_for(1, 5)) == 1
    [row] = [r for r in outbox(api) if r.id == job]
    assert (row.status, row.attempts) == ("done", 1)
    for w in (one, two):
        w.http.close()


def test_a_video_verdict_does_not_wait_behind_a_slow_webhook_endpoint(api: Api) -> None:
    """Each delivery takes 10 s; a video uploaded behind a queue of them is hashed and
    released at once (a one-at-a-time worker took over a minute, issue 15)."""
    slow = WebhookReceiver(secret="whsec-slow", hold_seconds=10)
    try:
        api.webhook(slow)
        for n in range(4):
            api.register(f"p-{n}")
            api.report(content_id=f"p-{n}", **VICTIM)
        clip = video_bytes(scene_frames(40, seconds=3, fps=4), fps=4)
        assert upload(api, "vid", clip, name="clip.mp4").json()["verdict"] == "hold"
        api.runtime.start_worker()  # the in-process worker: its threads, per queue
        assert slow.wait_started(1, 30) >= 1  # the endpoint is now holding deliveries
        deadline = time.monotonic() + 30
        while content(api, "vid")["state"] != "visible" and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting on the worker's threads, not a timed assertion
        assert content(api, "vid")["state"] == "visible"
        assert slow.deliveries == []  # not one delivery had been answered yet
    finally:
        slow.close()


def test_sweeps_are_declared_beside_their_services() -> None:
    from takedown.runtime import declared_sweeps

    assert [s.name for s in declared_sweeps()] == [
        "deadlines",
        "claims.idle",
        "exchanges.schedule",
        "reports.crossed",
    ]


def test_one_process_sweeps_at_a_time_on_postgresql(api: Api) -> None:
    """Two workers sweeping one database would each escalate the same case; on PostgreSQL the
    second finds the sweep taken (an advisory lock) and skips its pass."""
    from datetime import timedelta

    from sqlalchemy import text

    from takedown.outbox import worker as worker_module

    api.register("p-1")
    case_id = api.report(content_id="p-1", reporter_role="law_enforcement", depicts_minor=True)[
        "case_id"
    ]
    api.runtime.clock.advance(timedelta(minutes=31))  # type: ignore[attr-defined]
    postgres = api.runtime.engine.dialect.name == "postgresql"
    other = api.runtime.engine.connect()
    try:
        if postgres:  # another process is sweeping right now
            other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": worker_module._SWEEP_LOCK})
        api.runtime.worker.sweep()
        expected = "open" if postgres else "escalated"
        assert api.case(case_id)["state"] == expected
        if postgres:
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": worker_module._SWEEP_LOCK})
        api.runtime.worker.sweep()
        assert api.case(case_id)["state"] == "escalated"
    finally:
        other.close()
