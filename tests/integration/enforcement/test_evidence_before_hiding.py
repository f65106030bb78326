"""A platform hides what `content.restricted` names, and the evidence is fetched from the
platform: so the restriction's webhook waits for the first capture attempt of its item's
evidence, which now runs on a queue of its own (issue 15)."""

from __future__ import annotations

from sqlalchemy import select

from takedown import jobs
from takedown.store.models import OutboxJob
from tests.support.enforcement import synthetic_png
from tests.support.factories import Api
from tests.support.media_host import MediaHost
from tests.support.receiver import WebhookReceiver

VICTIM = {"reporter_role": "depicted_person", "depicts_minor": True}


def _jobs(api: Api, kind: str) -> list[OutboxJob]:
    with api.runtime.transaction() as session:
        rows = list(session.scalars(select(OutboxJob).where(OutboxJob.kind == kind)))
        session.expunge_all()
        return rows


def _run(api: Api, queue: str) -> int:
    worker = api.runtime.worker
    leased = worker._lease(api.runtime.clock.now(), room={queue: 10})
    for job in leased:
        worker.run_job(job.id)
    return len(leased)


def register(api: Api, content_id: str, url: str | None) -> None:
    form = {
        "content_id": content_id,
        "account_id": "acct-1",
        "signals": '{"md5": "' + "ab" * 16 + '"}',
    }
    if url:
        form["url"] = url
    response = api.client.post("/v1/content", data=form, headers=api.key("platform"))
    assert response.status_code == 200, response.text


def test_the_restriction_webhook_goes_out_after_the_media_is_preserved(
    api: Api, media: MediaHost, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    register(api, "p-1", media.put("/m/p-1.png", synthetic_png(3)))
    api.report(content_id="p-1", **VICTIM)
    assert _run(api, jobs.WEBHOOKS) >= 1
    [waiting] = [j for j in _jobs(api, "webhook.deliver") if j.status == "pending"]
    assert waiting.attempts == 0 and waiting.last_error is None  # waited, not failed
    assert receiver.deliveries == [] and media.fetches == []
    assert _run(api, jobs.EVIDENCE) == 1
    assert media.fetches == ["/m/p-1.png"]
    assert _run(api, jobs.WEBHOOKS) == 1
    [restricted] = receiver.wait_for(1, 5)
    assert restricted.json["type"] == "content.restricted"
    [capture] = _jobs(api, "evidence.capture")
    assert capture.status == "done"


def test_nothing_to_fetch_means_no_wait(api: Api, receiver: WebhookReceiver) -> None:
    api.webhook(receiver)
    register(api, "p-2", None)
    api.report(content_id="p-2", **VICTIM)
    assert _run(api, jobs.WEBHOOKS) == 1
    assert [d.json["type"] for d in receiver.wait_for(1, 5)] == ["content.restricted"]


def test_a_capture_that_failed_once_holds_the_webhook_no_longer(
    api: Api, media: MediaHost, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    register(api, "p-3", media.base + "/m/not-there-yet.png")  # 404: retried with back-off
    api.report(content_id="p-3", **VICTIM)
    assert _run(api, jobs.EVIDENCE) == 1
    [capture] = _jobs(api, "evidence.capture")
    assert (capture.status, capture.attempts) == ("pending", 1)
    assert _run(api, jobs.WEBHOOKS) == 1
    assert [d.json["type"] for d in receiver.wait_for(1, 5)] == ["content.restricted"]
