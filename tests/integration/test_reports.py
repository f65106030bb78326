"""Reports: triage, restrict first, one case per item, no identity demanded."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select

from takedown.services.content import CROSSED_WINDOW, join_crossed_reports
from takedown.store.models import Case, CaseEvent, Report
from tests.support.banks import content
from tests.support.factories import Api

CSE_FROM_VICTIM = {
    "category": "child_sexual_exploitation",
    "reporter_role": "depicted_person",
    "depicts_minor": True,
}


def test_victim_report_on_registered_item_is_p0_and_restricted_in_the_response(api: Api) -> None:
    api.register("p-123")
    out = api.report(content_id="p-123", **CSE_FROM_VICTIM)
    assert out["priority"] == "P0"
    assert out["content_state"] == "restricted"
    assert out["status_url"].endswith("/status/" + out["status_token"])
    state = api.client.get("/v1/content/p-123", headers=api.key("platform")).json()
    assert state["state"] == "restricted"
    assert state["case_ids"] == [out["case_id"]]


def test_no_name_email_or_account_is_needed(api: Api) -> None:
    api.register("p-1")
    response = api.client.post(
        "/v1/reports",
        json={"content_id": "p-1", "category": "sextortion", "reporter_role": "depicted_person"},
    )
    assert response.status_code == 201
    assert response.json()["priority"] == "P1"


def test_bystander_child_safety_report_is_reviewed_without_hiding(api: Api) -> None:
    api.register("p-1")
    out = api.report(content_id="p-1", reporter_role="third_party")
    assert (out["priority"], out["content_state"]) == ("P1", "visible")


def test_reports_on_the_same_item_join_one_case(api: Api) -> None:
    api.register("p-1")
    first = api.report(content_id="p-1", category="harassment", reporter_account_id="u1")
    second = api.report(content_id="p-1", category="violence", reporter_account_id="u2")
    assert first["case_id"] == second["case_id"]
    case = api.case(first["case_id"])
    assert [r["category"] for r in case["reports"]] == ["harassment", "violence"]


def test_duplicate_reports_by_one_reporter_do_not_raise_priority(api: Api) -> None:
    api.register("p-1")
    outs = [
        api.forward(content_id="p-1", category="harassment", reporter_account_id="same")
        for _ in range(4)
    ]
    assert [o["priority"] for o in outs] == ["P2"] * 4


def test_the_third_distinct_reporter_raises_priority_one_level(api: Api) -> None:
    api.register("p-1")
    a = api.forward(content_id="p-1", category="harassment", reporter_account_id="a")
    b = api.report(content_id="p-1", category="harassment", contact_email="b@example.org")
    c = api.forward(content_id="p-1", category="harassment", reporter_account_id="c")
    assert [a["priority"], b["priority"], c["priority"]] == ["P2", "P2", "P1"]
    case = api.case(c["case_id"])
    assert case["priority"] == "P1"
    raised = [e for e in case["events"] if e["type"] == "priority"]
    assert raised[-1]["data"]["from"] == "P2" and raised[-1]["data"]["to"] == "P1"


def test_email_case_and_spacing_do_not_make_a_new_reporter(api: Api) -> None:
    api.register("p-1")
    api.report(content_id="p-1", category="spam", contact_email="x@example.org")
    api.report(content_id="p-1", category="spam", contact_email=" X@Example.org")
    out = api.report(content_id="p-1", category="spam", reporter_account_id="other")
    assert out["priority"] == "P3"


def test_report_before_registration_attaches_and_restricts_on_registration(api: Api) -> None:
    out = api.report(content_id="later-1", **CSE_FROM_VICTIM)
    assert out["content_state"] is None
    registered = api.register("later-1", account_id="uploader")
    assert registered["state"] == "restricted"
    assert registered["verdict"] == "hold"
    case = api.case(out["case_id"])
    assert [c["content_id"] for c in case["content"]] == ["later-1"]
    assert [e["type"] for e in case["events"]][-1] == "restrict"


def _register_while_reporting(api: Api, content_id: str, **report: Any) -> dict[str, Any]:
    """The report, with the item registered while the report is in flight: after the
    report read that no such item exists, before it wrote anything; the registration
    commits first and finds no report waiting."""
    registered: list[dict[str, Any]] = []
    started = threading.Event()

    def register_in_between(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The report's first write (the registration opens no case: it matches nothing).
        if "INSERT INTO CASES" in statement.upper() and not started.is_set():
            started.set()
            other = threading.Thread(target=lambda: registered.append(api.register(content_id)))
            other.start()
            other.join(30)

    event.listen(api.runtime.engine, "before_cursor_execute", register_in_between)
    try:
        out = api.report(content_id=content_id, **report)
    finally:
        event.remove(api.runtime.engine, "before_cursor_execute", register_in_between)
    assert registered and registered[0]["verdict"] == "allow"
    return out


def test_a_report_and_a_registration_that_cross_are_joined_by_the_next_sweep(api: Api) -> None:
    """Neither saw the other (the report found no item, the registration no report), so the
    item stayed up; the worker's next sweep joins them and hides it."""
    out = _register_while_reporting(api, "crossed-1", **CSE_FROM_VICTIM)
    assert api.case(out["case_id"])["content"] == []
    assert content(api, "crossed-1")["state"] == "visible"
    api.runtime.worker.sweep()
    case = api.case(out["case_id"])
    assert [c["content_id"] for c in case["content"]] == ["crossed-1"]
    assert content(api, "crossed-1")["state"] == "restricted"
    assert [e["type"] for e in case["events"]][-1] == "restrict"
    api.runtime.worker.sweep()  # once joined, a pair is left alone
    assert api.case(out["case_id"])["events"] == case["events"]


def test_the_sweep_leaves_a_crossed_report_alone_once_it_is_old(api: Api) -> None:
    """Only the reports of the last minutes are read: a pair older than any transaction
    would have been joined by an earlier sweep."""
    out = _register_while_reporting(api, "crossed-2", **CSE_FROM_VICTIM)
    api.runtime.clock.advance(CROSSED_WINDOW + timedelta(seconds=1))  # type: ignore[attr-defined]
    with api.runtime.transaction() as session:
        assert join_crossed_reports(session, api.runtime.clock.now()) == 0
    assert api.case(out["case_id"])["content"] == []


def test_report_by_url_finds_the_registered_item(api: Api) -> None:
    response = api.client.post(
        "/v1/content",
        data={
            "content_id": "p-9",
            "account_id": "acct",
            "url": "https://platform.example/p/9",
            "signals": '{"md5": "' + "b" * 32 + '"}',
        },
        headers=api.key("platform"),
    )
    assert response.status_code == 200
    out = api.report(url="https://platform.example/p/9", **CSE_FROM_VICTIM)
    assert out["content_state"] == "restricted"


def test_every_change_to_the_case_is_an_ordered_event(api: Api) -> None:
    api.register("p-1")
    out = api.report(content_id="p-1", **CSE_FROM_VICTIM)
    events = api.client.get(
        f"/v1/cases/{out['case_id']}/events", headers=api.key("reviewer")
    ).json()
    assert [e["type"] for e in events] == ["report", "content_linked", "restrict"]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert all(e["at"].endswith("Z") for e in events)


def _counts(api: Api) -> tuple[int, int, int]:
    with api.runtime.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Report)) or 0,
            session.scalar(select(func.count()).select_from(Case)) or 0,
            session.scalar(select(func.count()).select_from(CaseEvent)) or 0,
        )


def test_bad_reports_get_a_clear_4xx_and_store_nothing(api: Api) -> None:
    api.register("p-1")
    before = _counts(api)
    good = {"content_id": "p-1", "category": "spam", "reporter_role": "third_party"}
    cases = [
        (b"{not json", 400, "malformed_json"),
        (b"[1, 2]", 400, "malformed_json"),
        ({**good, "category": "nonsense"}, 422, "invalid_request"),
        ({**good, "reporter_role": "king"}, 422, "invalid_request"),
        ({"category": "spam", "reporter_role": "third_party"}, 422, "invalid_request"),
        ({**good, "statement": "x" * 10_001}, 422, "invalid_request"),
        ({**good, "depicts_minor": "perhaps"}, 422, "invalid_request"),
        ({**good, "contact_email": "not-an-address"}, 422, "invalid_request"),
        ({**good, "url": "javascript:alert(1)", "content_id": None}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        if isinstance(body, bytes):
            response = api.client.post(
                "/v1/reports", content=body, headers={"Content-Type": "application/json"}
            )
        else:
            response = api.client.post("/v1/reports", json=body)
        assert response.status_code == status, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == code and error["message"], body
    assert _counts(api) == before


def test_a_statement_of_exactly_ten_thousand_characters_is_accepted(api: Api) -> None:
    out = api.report(content_id="p-1", category="spam", statement="x" * 10_000)
    assert out["report_id"]


def test_public_reports_are_rate_limited_per_address(api: Api) -> None:
    from takedown.api.deps import PublicRateLimit

    api.client.app.state.public_limit = PublicRateLimit("2/minute")  # type: ignore[attr-defined]
    body = {"content_id": "p-1", "category": "spam", "reporter_role": "third_party"}
    assert api.client.post("/v1/reports", json=body).status_code == 201
    assert api.client.post("/v1/reports", json=body).status_code == 201
    limited = api.client.post("/v1/reports", json=body)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
