"""The TAKE IT DOWN Act's removal request from the public report form (issue 13, item 5)."""

from __future__ import annotations

from typing import Any

from tests.support.factories import Api
from tests.support.public import submit_report, text_of

STATEMENT = "my ex posted this, I never agreed"


def request(api: Api, **overrides: Any) -> Any:
    fields = {
        "content_id": "p-1",
        "category": "non_consensual_intimate_imagery",
        "reporter_role": "depicted_person",
        "statement": STATEMENT,
        "contact_email": "me@example.org",
        "good_faith_statement": "yes",
        "signature": "Alex Example",
        **overrides,
    }
    return submit_report(api.client, **fields)


def cases(api: Api) -> list[dict[str, Any]]:
    return api.client.get("/v1/cases", headers=api.key("reviewer")).json()["cases"]  # type: ignore[no-any-return]


def test_the_form_offers_the_request_in_plain_words(api: Api) -> None:
    words = text_of(api.client.get("/report?content_id=p-1").text)
    assert "TAKE IT DOWN Act" in words and "within 48 hours" in words
    assert "Your signature: type your full name" in words


def test_a_complete_request_starts_the_48_hour_clock(api: Api) -> None:
    api.register("p-1")
    sent = request(api)
    assert sent.status_code == 303, sent.text
    token = sent.headers["location"].rsplit("/", 1)[1]
    status = api.status(token)
    case = api.case(status["case_id"])
    assert case["take_it_down"] is not None
    assert case["take_it_down"]["removal_due_at"] == "2026-01-03T00:00:00Z"
    words = text_of(api.client.get(f"/status/{token}").text)
    assert "Your removal request under the TAKE IT DOWN Act is valid" in words


def test_an_ordinary_report_starts_no_clock_and_asks_for_nothing_more(api: Api) -> None:
    api.register("p-1")
    sent = request(api, good_faith_statement=None, signature=None, contact_email=None)
    assert sent.status_code == 303, sent.text
    token = sent.headers["location"].rsplit("/", 1)[1]
    assert api.case(api.status(token)["case_id"])["take_it_down"] is None


def test_an_incomplete_request_comes_back_with_everything_kept(api: Api) -> None:
    for missing, error in [
        ({"signature": None}, "Type your full name as your signature."),
        ({"good_faith_statement": None}, "Tick the box to confirm"),
        ({"contact_email": None}, "Give an email address so the platform can reach you"),
        ({"reporter_role": "third_party"}, "is for the person in the images"),
        ({"category": "spam"}, "is for nude or sexual images"),
    ]:
        page = request(api, **missing)
        assert page.status_code == 422, missing
        words = text_of(page.text)
        assert error in words, (missing, words)
        assert STATEMENT in page.text
        if missing.get("signature", "") is not None:
            assert "Alex Example" in page.text
    assert cases(api) == []
