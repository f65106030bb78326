"""DSA statements of reasons pass the Transparency Database's own rules and enumerations."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.store.oversight import DsaSubmission
from tests.support.banks import add_hashes, make_bank, png, uploaded
from tests.support.dsa_rules import ENUMERATIONS, REFERENCE, problems
from tests.support.factories import Api
from tests.support.review import child_safety_case, decide

DAY = "2026-01-01"


def statements(api: Api, first: str = DAY, last: str = DAY) -> list[dict[str, Any]]:
    response = api.client.get(
        f"/v1/transparency/statements?from={first}&to={last}", headers=api.key("legal")
    )
    assert response.status_code == 200, response.text
    return response.json()["statements"]  # type: ignore[no-any-return]


def assert_valid_and_anonymous(found: list[dict[str, Any]], *personal: str) -> None:
    for s in found:
        assert problems(s) == [], s
    text = json.dumps(found)
    for value in personal:
        assert value not in text


def test_the_reference_is_the_eu_repository() -> None:
    """The test data names its source, and carries the enumerations the issue relies on."""
    source = REFERENCE["source"]
    assert source["repository"].endswith("digital-services-act/transparency-database")
    assert "app/Http/Requests/StatementStoreRequest.php" in source["files"]
    assert "app/Models/Statement.php" in source["files"]
    assert "STATEMENT_CATEGORY_PROTECTION_OF_MINORS" in ENUMERATIONS["STATEMENT_CATEGORIES"]
    assert "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL" in ENUMERATIONS["KEYWORDS"]
    assert "DECISION_GROUND_ILLEGAL_CONTENT" in ENUMERATIONS["DECISION_GROUNDS"]


def test_the_validator_refuses_what_the_database_refuses() -> None:
    good = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Terms",
        "incompatible_content_explanation": "Spam",
        "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2025-12-31",
        "application_date": "2026-01-01",
        "decision_facts": "Removed.",
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": "evt_0123",
    }
    assert problems(good) == []
    for change in (
        {"category": "Protection of minors"},  # the label, not the key
        {"decision_visibility": None},  # no restriction at all
        {"decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"},  # legal ground missing
        {"content_type": "CONTENT_TYPE_TEXT"},  # not an array
        {"application_date": "2026-01-01-10"},
        {"puid": "case 1/2"},
        {"automated_detection": "YES"},
        {"content_type": ["CONTENT_TYPE_OTHER"]},  # content_type_other missing
        {"contact_email": "x@example.org"},  # not a field of the database
    ):
        assert problems({**good, **change}), change


def test_csam_removal_and_account_suspension(api: Api, clock: ManualClock) -> None:
    out = child_safety_case(api, "p-secret-1", "acct-secret-1")
    clock.advance(timedelta(minutes=12))
    assert decide(api, out["case_id"], "Lead Person", "lead", "violating").status_code == 200
    found = statements(api)
    assert_valid_and_anonymous(
        found, "p-secret-1", "acct-secret-1", "Lead Person", "my child is in this video"
    )
    kinds = [(s.get("decision_visibility"), s.get("decision_account")) for s in found]
    assert kinds == [
        (["DECISION_VISIBILITY_CONTENT_DISABLED"], None),
        (["DECISION_VISIBILITY_CONTENT_REMOVED"], None),
        (None, "DECISION_ACCOUNT_SUSPENDED"),
    ]
    for s in found:
        assert s["category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
        assert s["category_specification"] == ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"]
        assert s["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
        assert s["source_type"] == "SOURCE_ARTICLE_16"  # a parent's notice
        assert s["automated_detection"] == "No"
    # Hidden at once by rule; removed and suspended by a person's decision.
    assert [s["automated_decision"] for s in found] == [
        "AUTOMATED_DECISION_FULLY",
        "AUTOMATED_DECISION_NOT_AUTOMATED",
        "AUTOMATED_DECISION_NOT_AUTOMATED",
    ]
    assert len({s["puid"] for s in found}) == 3
    with api.runtime.transaction() as session:  # no database configured: nothing queued
        assert session.scalars(select(DsaSubmission)).first() is None


def test_automated_bank_block(api: Api) -> None:
    make_bank(api, "synthetic-csam-test-bank", action="block", child_safety=True)
    first = uploaded(api, "p-seed", png(7), "acct-seed")
    add_hashes(api, "synthetic-csam-test-bank", {"signal": "md5", "value": first["signals"]["md5"]})
    blocked = uploaded(api, "p-copy-9", png(7), "acct-copy-9")
    assert blocked["verdict"] == "block"
    found = [
        s
        for s in statements(api)
        if s.get("decision_visibility") == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    ]
    assert_valid_and_anonymous(found, "p-copy-9", "acct-copy-9", "synthetic-csam-test-bank")
    assert found
    for s in found:
        assert s["automated_detection"] == "Yes"
        assert s["automated_decision"] == "AUTOMATED_DECISION_FULLY"
        assert s["source_type"] == "SOURCE_VOLUNTARY"
        assert s["category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
        assert s["category_specification"] == ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"]
        assert s["content_type"] == ["CONTENT_TYPE_IMAGE"]


def test_harassment_removal(api: Api, clock: ManualClock) -> None:
    api.register("p-h", "acct-h")
    out = api.report(
        content_id="p-h",
        category="harassment",
        reporter_role="trusted_flagger",
        statement="Jane Doe is harassed here",
    )
    clock.advance(timedelta(hours=2))
    decided = decide(api, out["case_id"], "Rev One", "lead", "violating", "harassment")
    assert decided.status_code == 200
    found = statements(api)
    assert_valid_and_anonymous(found, "p-h", "acct-h", "Jane Doe", "Rev One")
    assert len(found) == 1  # one strike does not suspend: no account statement
    (s,) = found
    assert s["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert s["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert s["category"] == "STATEMENT_CATEGORY_CYBER_VIOLENCE"
    assert s["category_specification"] == ["KEYWORD_CYBER_HARASSMENT"]
    assert s["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert "illegal_content_legal_ground" not in s


def test_statements_only_for_the_period(api: Api, clock: ManualClock) -> None:
    child_safety_case(api, "p-5")
    assert statements(api, "2026-01-02", "2026-01-31") == []
    assert len(statements(api, "2025-12-01", "2026-01-01")) == 1


@pytest.mark.parametrize(
    ("query", "status"),
    [("from=2026-13-01", 422), ("from=2026-02-01&to=2026-01-01", 422), ("from=yesterday", 422)],
)
def test_a_bad_period_is_refused_clearly(api: Api, query: str, status: int) -> None:
    response = api.client.get(f"/v1/transparency/statements?{query}", headers=api.key("admin"))
    assert response.status_code == status
    assert response.json()["error"]["code"] == "invalid_period"


def test_reviewers_cannot_read_statements(api: Api) -> None:
    response = api.client.get("/v1/transparency/statements", headers=api.key("reviewer"))
    assert response.status_code == 403
