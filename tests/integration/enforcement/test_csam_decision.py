"""Deciding a case `csam`: every copy down, accounts suspended, evidence kept, NCMEC filed once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.domain.vocabulary import Outcome, Policy
from takedown.services import filing
from takedown.services.cases import get_case
from takedown.services.enforcement import apply_final_decision
from takedown.store.filings import EvidenceRecord, Filing
from takedown.store.models import OutboxJob
from tests.support.enforcement import (
    account_states,
    content_state,
    decide,
    events,
    snapshot,
    synthetic_png,
    upload,
)
from tests.support.factories import Api
from tests.support.fake_cybertipline import FakeCyberTipline
from tests.support.media_host import MediaHost
from tests.support.receiver import WebhookReceiver


def two_copies(api: Api, media: MediaHost) -> tuple[bytes, dict[str, str]]:
    """The same synthetic picture posted by two accounts, and a parent's report of one."""
    picture = synthetic_png(7)
    upload(api, "p-1", "acct-a", picture, media.put("/m/p-1.png", picture))
    upload(api, "p-2", "acct-b", picture, media.put("/m/p-2.png", picture))
    report = api.report(content_id="p-1", reporter_role="parent_guardian", depicts_minor=True)
    return picture, report


def test_csam_removes_both_copies_suspends_both_accounts_and_files_once(
    api: Api, ncmec: FakeCyberTipline, media: MediaHost, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    picture, report = two_copies(api, media)
    case_id = report["case_id"]
    assert content_state(api, "p-1") == "restricted"

    decide(api, case_id, "violating", "csam")
    # One worker cycle: evidence copies, webhooks, the filing with both files.
    api.runtime.worker.drain()

    assert content_state(api, "p-1") == "removed"
    assert content_state(api, "p-2") == "removed"
    states = account_states(api)
    assert states["acct-a"][0] == "suspended"
    assert states["acct-b"][0] == "suspended"

    [filed] = ncmec.finished_reports()
    assert ncmec.problems == []
    assert ncmec.requests.count("submit") == 1
    assert sorted(f.data for f in filed.files.values()) == [picture, picture]
    assert all(f.details is not None for f in filed.files.values())
    assert {e.findtext("espIdentifier") for e in filed.xml.findall("personOrUserReported")} == {
        "acct-a",
        "acct-b",
    }

    case = api.case(case_id)
    assert case["filing"]["status"] == "accepted"
    assert case["filing"]["ncmec_report_id"] == filed.report_id
    assert len(case["filing"]["files"]) == 2
    assert {e["content_id"]: e["status"] for e in case["evidence"]} == {
        "p-1": "stored",
        "p-2": "stored",
    }
    actions = [
        (e["data"]["action"], e["data"].get("content_id") or e["data"]["account_id"])
        for e in events(api, case_id, "action")
    ]
    assert sorted(actions) == [
        ("removed", "p-1"),
        ("removed", "p-2"),
        ("suspended", "acct-a"),
        ("suspended", "acct-b"),
    ]
    files = [e["data"] for e in events(api, case_id, "file")]
    assert [f["status"] for f in files] == ["queued", "submitted", "accepted"]
    assert files[-1]["ncmec_report_id"] == filed.report_id

    delivered = receiver.wait_for(6, timeout=5)
    kinds = sorted(d.json["type"] for d in delivered)
    assert kinds.count("content.removed") == 2
    assert kinds.count("account.suspended") == 2

    status = api.status(report["status_token"])
    words = " ".join(u["message"] for u in status["updates"])
    for step in ("hidden", "breaks the rules", "removed", "suspended", "reported to NCMEC"):
        assert step in words, (step, words)


def test_a_third_upload_of_the_same_media_is_blocked(
    api: Api, ncmec: FakeCyberTipline, media: MediaHost
) -> None:
    picture, report = two_copies(api, media)
    decide(api, report["case_id"], "violating", "csam")
    api.runtime.worker.drain()
    third = upload(api, "p-3", "acct-c", picture)
    assert third["verdict"] == "block"
    with api.runtime.transaction() as session:
        kept = {r.content_id: r for r in session.scalars(select(EvidenceRecord))}
        # The refused upload is preserved too, from its own bytes (it has no url).
        assert kept["p-3"].status == "stored" and kept["p-3"].source == "upload"


def test_the_filing_completes_once_after_five_failed_attempts(
    api: Api, ncmec: FakeCyberTipline, media: MediaHost, clock: ManualClock
) -> None:
    ncmec.fail_first = 5
    _, report = two_copies(api, media)
    decide(api, report["case_id"], "violating", "csam")
    api.runtime.worker.drain()
    for _ in range(10):
        if ncmec.finished_reports():
            break
        clock.advance(timedelta(hours=1))  # past the back-off
        api.runtime.worker.drain()
    [filed] = ncmec.finished_reports()
    assert ncmec.refused == 5
    assert len(ncmec.reports) == 1
    assert ncmec.problems == []
    case = api.case(report["case_id"])
    assert case["filing"]["ncmec_report_id"] == filed.report_id
    assert case["filing"]["attempts"] == 6
    assert case["filing"]["status"] == "accepted"


def test_a_retry_resumes_after_the_last_completed_step(
    api: Api, ncmec: FakeCyberTipline, media: MediaHost, clock: ManualClock
) -> None:
    ncmec.fail_steps = {"upload": 1, "fileinfo": 2, "finish": 1}
    _, report = two_copies(api, media)
    decide(api, report["case_id"], "violating", "csam")
    for _ in range(10):
        api.runtime.worker.drain()
        if ncmec.finished_reports():
            break
        clock.advance(timedelta(hours=1))
    [filed] = ncmec.finished_reports()
    assert ncmec.problems == []
    assert ncmec.requests.count("submit") == 1
    assert len(filed.files) == 2  # no file uploaded twice
    assert api.case(report["case_id"])["filing"]["ncmec_report_id"] == filed.report_id


def test_a_filing_that_cannot_be_sent_escalates_to_legal(
    api: Api, ncmec: FakeCyberTipline, media: MediaHost, clock: ManualClock
) -> None:
    ncmec.password = "changed-at-ncmec"  # our credentials are now refused
    _, report = two_copies(api, media)
    decide(api, report["case_id"], "violating", "csam")
    api.runtime.worker.drain()
    escalations = [
        e for e in events(api, report["case_id"], "escalate") if e["data"]["raised_to"] == "legal"
    ]
    assert len(escalations) == 1
    assert escalations[0]["data"]["reason"] == "cybertipline_filing_failing"
    listed = api.client.get("/v1/filings", headers=api.key("legal"))
    assert listed.json()["filings"][0]["escalated_to_legal_at"] is not None

    clock.advance(timedelta(days=31))
    api.runtime.worker.drain()
    case = api.case(report["case_id"])
    assert case["filing"]["status"] == "failed"
    assert ncmec.reports == {}
    with api.runtime.transaction() as session:
        job = session.scalars(select(OutboxJob).where(OutboxJob.kind == filing.SEND)).one()
        assert job.status == "done"  # given up by the filing, which said so to legal


def test_applying_the_decision_again_changes_nothing(
    api: Api, ncmec: FakeCyberTipline, media: MediaHost
) -> None:
    _, report = two_copies(api, media)
    decide(api, report["case_id"], "violating", "csam")
    api.runtime.worker.drain()
    before = snapshot(api)
    rt = api.runtime
    with rt.transaction() as session:
        case = get_case(session, report["case_id"])
        apply_final_decision(
            session, case, Outcome.VIOLATING, Policy.CSAM, "lead-1", rt.clock.now()
        )
    # Replay the filing job and every evidence capture as if a worker had died after them.
    with rt.transaction() as session:
        for job in session.scalars(select(OutboxJob)):
            job.status = "pending"
            job.next_attempt_at = rt.clock.now()
    rt.worker.drain()
    events_after, jobs_after = snapshot(api)
    assert (events_after, jobs_after) == before
    assert len(ncmec.reports) == 1
    with rt.transaction() as session:
        assert session.scalars(select(Filing)).one().status == "accepted"
        assert {r.status for r in session.scalars(select(EvidenceRecord))} == {"stored"}
