"""The REPORT Act's reach: grooming and sextortion of a minor, and trafficking, are filed with
NCMEC too, text-only cases included; a filing NCMEC cannot take tells legal why and can be
retried once fixed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.cybertipline.report import INCIDENT_CHILD_SEX_TRAFFICKING, INCIDENT_ONLINE_ENTICEMENT
from takedown.cybertipline.schema import xsd_problems
from takedown.services import access
from takedown.services.installation import INSTALLATION
from takedown.store.filings import Filing
from tests.support.enforcement import decide
from tests.support.factories import Api
from tests.support.fake_cybertipline import FakeCyberTipline
from tests.support.review import staff_user
from tests.support.staff_web import sign_in

TOKENS: dict[str, str] = {}  # case id -> the first reporter's status token
THREAD = "you are so mature for 13. delete this chat and send me a photo, our secret"


def text_case(api: Api, category: str = "grooming", depicts_minor: bool = True) -> str:
    api.register_text("msg-1", THREAD, account_id="acct-groomer")
    api.register_text("prof-1", "17yo, dm me", account_id="acct-groomer", kind="profile")
    first = api.report(
        content_id="msg-1",
        category=category,
        reporter_role="parent_guardian",
        depicts_minor=depicts_minor,
    )
    api.report(content_id="prof-1", category=category, reporter_role="parent_guardian")
    TOKENS[str(first["case_id"])] = str(first["status_token"])
    return str(first["case_id"])


def status_messages(api: Api, case_id: str) -> list[str]:
    """What the reporters of the case read on their status page."""
    token = TOKENS[case_id]
    status = api.client.get(f"/v1/status/{token}")
    assert status.status_code == 200, status.text
    return [u["message"] for u in status.json()["updates"]]


def filing_of(api: Api, case_id: str) -> dict[str, Any]:
    filing = api.case(case_id)["filing"]
    assert filing is not None
    return filing  # type: ignore[no-any-return]


def test_a_text_only_grooming_case_decided_by_a_lead_is_filed_and_accepted_without_a_file(
    api: Api, ncmec: FakeCyberTipline
) -> None:
    case_id = text_case(api)
    decide(api, case_id, "violating", "grooming")
    api.runtime.worker.drain()

    [filed] = ncmec.finished_reports()
    assert ncmec.problems == []
    assert filed.files == {}
    assert "upload" not in ncmec.requests
    assert filed.xml.findtext("incidentSummary/incidentType") == INCIDENT_ONLINE_ENTICEMENT
    contents = [c.text for c in filed.xml.findall("internetDetails/chatImIncident/content")]
    assert THREAD in contents
    assert filed.xml.findtext("personOrUserReported/espIdentifier") == "acct-groomer"
    filing = filing_of(api, case_id)
    assert (filing["status"], filing["ncmec_report_id"]) == ("accepted", filed.report_id)
    assert filing["problem"] is None


def test_sextortion_of_a_minor_carries_ncmecs_sextortion_annotation(
    api: Api, ncmec: FakeCyberTipline
) -> None:
    case_id = text_case(api, category="sextortion")
    decide(api, case_id, "violating", "sextortion")
    api.runtime.worker.drain()
    [filed] = ncmec.finished_reports()
    assert filed.xml.findtext("incidentSummary/incidentType") == INCIDENT_ONLINE_ENTICEMENT
    assert filed.xml.find("incidentSummary/reportAnnotations/sextortion") is not None
    assert ncmec.problems == []


def test_trafficking_is_filed_as_child_sex_trafficking(api: Api, ncmec: FakeCyberTipline) -> None:
    case_id = text_case(api, category="other", depicts_minor=False)
    decide(api, case_id, "violating", "trafficking")
    api.runtime.worker.drain()
    [filed] = ncmec.finished_reports()
    assert filed.xml.findtext("incidentSummary/incidentType") == INCIDENT_CHILD_SEX_TRAFFICKING


def test_grooming_with_no_minor_named_is_not_filed(api: Api, ncmec: FakeCyberTipline) -> None:
    api.register_text("msg-2", "hello there", account_id="acct-x")
    case_id = api.report(
        content_id="msg-2", category="grooming", reporter_role="third_party", depicts_minor=False
    )["case_id"]
    decide(api, case_id, "violating", "grooming")
    api.runtime.worker.drain()
    assert api.case(case_id)["filing"] is None
    assert ncmec.requests == []


def test_an_invalid_filing_shows_legal_the_reason_and_the_fix_and_can_be_retried(
    api: Api, ncmec: FakeCyberTipline, settings: Settings
) -> None:
    sessions = api.runtime.sessions
    info = dict(sessions.kw["info"])
    without_email = replace(settings, ncmec_reporter_email="")
    sessions.configure(
        info={**info, INSTALLATION: replace(api.runtime.installation, settings=without_email)}
    )
    case_id = text_case(api)
    decide(api, case_id, "violating", "grooming")
    api.runtime.worker.drain()

    filing = filing_of(api, case_id)
    assert filing["status"] == "invalid"
    assert "email" in filing["problem"]["reason"]
    assert "TAKEDOWN_NCMEC_REPORTER_EMAIL" in filing["problem"]["fix"]
    assert filing["can_retry"] is True
    assert ncmec.requests == []  # nothing invalid was sent
    listed = api.client.get("/v1/filings?status=invalid", headers=api.key("legal")).json()
    assert listed["filings"][0]["problem"]["fix"] == filing["problem"]["fix"]

    # Not done while NCMEC has not accepted it: metrics and the reporter's page say so.
    metrics = api.client.get("/metrics", headers=api.key("admin")).text
    assert 'takedown_cybertipline_filings{status="invalid"} 1.0' in metrics
    assert 'takedown_cybertipline_filings{status="accepted"} 0.0' in metrics
    assert not any("reported to NCMEC" in m for m in status_messages(api, case_id))

    refused = api.client.post(f"/v1/cases/{case_id}/filing/retry", headers=api.key("reviewer"))
    assert refused.status_code == 403
    sessions.configure(info=info)  # legal set the email
    retried = api.client.post(f"/v1/cases/{case_id}/filing/retry", headers=api.key("legal"))
    assert retried.status_code == 200, retried.text
    api.runtime.worker.drain()
    assert filing_of(api, case_id)["status"] == "accepted"
    metrics = api.client.get("/metrics", headers=api.key("admin")).text
    assert 'takedown_cybertipline_filings{status="accepted"} 1.0' in metrics
    assert 'takedown_cybertipline_filings{status="invalid"} 0.0' in metrics
    assert any("reported to NCMEC" in m for m in status_messages(api, case_id))
    again = api.client.post(f"/v1/cases/{case_id}/filing/retry", headers=api.key("legal"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "filing_accepted"
    missing = api.client.post("/v1/cases/nope/filing/retry", headers=api.key("legal"))
    assert missing.status_code == 404


def test_a_refusal_by_ncmec_shows_its_code_and_text(api: Api, ncmec: FakeCyberTipline) -> None:
    ncmec.password = "changed-at-ncmec"
    case_id = text_case(api)
    decide(api, case_id, "violating", "grooming")
    api.runtime.worker.drain()
    problem = filing_of(api, case_id)["problem"]
    assert problem["ncmec_response_code"] == 2000
    assert "Authentication required" in problem["reason"]
    assert problem["request_id"]
    assert "TAKEDOWN_NCMEC_PASSWORD" in problem["fix"]


def test_every_document_filed_here_validates(api: Api, ncmec: FakeCyberTipline) -> None:
    case_id = text_case(api)
    decide(api, case_id, "violating", "grooming")
    api.runtime.worker.drain()
    with api.runtime.transaction() as session:
        stored = session.scalars(select(Filing)).one().report_xml
    assert stored and xsd_problems(stored) == []


def test_the_legal_page_shows_the_reason_and_fix_and_its_button_retries(
    api: Api, ncmec: FakeCyberTipline, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    staff_user(api, "lee", "legal")
    staff_user(api, "rita", "reviewer")
    sessions = api.runtime.sessions
    info = dict(sessions.kw["info"])
    without_email = replace(settings, ncmec_reporter_email="")
    sessions.configure(
        info={**info, INSTALLATION: replace(api.runtime.installation, settings=without_email)}
    )
    case_id = text_case(api)
    decide(api, case_id, "violating", "grooming")
    api.runtime.worker.drain()

    reviewer = TestClient(api.client.app)
    reviewer_csrf = sign_in(reviewer, "rita")
    forbidden = reviewer.post(
        f"/staff/cases/{case_id}/filing/retry",
        data={"csrf_token": reviewer_csrf},
        follow_redirects=False,
    )
    assert forbidden.status_code in (303, 403)
    assert filing_of(api, case_id)["status"] == "invalid"

    legal = TestClient(api.client.app)
    csrf = sign_in(legal, "lee")
    page = legal.get("/staff/legal").text
    assert "filing-invalid" in page
    assert "TAKEDOWN_NCMEC_REPORTER_EMAIL" in page
    assert f'action="/staff/cases/{case_id}/filing/retry"' in page
    no_token = legal.post(f"/staff/cases/{case_id}/filing/retry", follow_redirects=False)
    assert no_token.status_code in (400, 401, 403)
    assert filing_of(api, case_id)["status"] == "invalid"

    sessions.configure(info=info)
    retried = legal.post(
        f"/staff/cases/{case_id}/filing/retry", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert retried.headers["location"] == "/staff/legal?message=filing_retried"
    api.runtime.worker.drain()
    page = legal.get("/staff/legal").text
    assert "filing-accepted" in page
    assert "TAKEDOWN_NCMEC_REPORTER_EMAIL" not in page


def test_a_report_ncmec_deleted_unfinished_is_submitted_afresh(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    """NCMEC deletes an unfinished report after 24 hours; the filing must not stay stuck on it."""
    tipline = FakeCyberTipline(clock=clock.now)
    try:
        sessions = api.runtime.sessions
        info = dict(sessions.kw["info"])
        moved = replace(settings, ncmec_url=tipline.url)
        sessions.configure(
            info={**info, INSTALLATION: replace(api.runtime.installation, settings=moved)}
        )
        tipline.fail_steps = {"finish": 1}  # NCMEC is down right after the report was opened
        case_id = text_case(api)
        decide(api, case_id, "violating", "grooming")
        api.runtime.worker.drain()
        first = filing_of(api, case_id)
        assert first["status"] == "submitted" and first["ncmec_report_id"]

        clock.advance(timedelta(hours=25))
        api.runtime.worker.drain()  # 5001: the open report is gone
        clock.advance(timedelta(hours=1))
        api.runtime.worker.drain()  # submitted afresh, finished
        [filed] = tipline.finished_reports()
        filing = filing_of(api, case_id)
        assert filing["status"] == "accepted"
        assert filing["ncmec_report_id"] == filed.report_id != first["ncmec_report_id"]
        assert tipline.requests.count("submit") == 2
    finally:
        tipline.close()
