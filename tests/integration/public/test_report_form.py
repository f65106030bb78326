"""The report page: child in sexual content first, no identity asked, works without JavaScript,
files through the same service as the API, and refuses forged or foreign posts."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from takedown.store.models import Case, Report
from tests.support.factories import Api
from tests.support.public import form_token, submit_report, text_of


def _counts(api: Api) -> tuple[int, int]:
    with api.runtime.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Report)) or 0,
            session.scalar(select(func.count()).select_from(Case)) or 0,
        )


def test_the_first_choice_is_a_child_in_sexual_content_and_no_identity_is_asked(api: Api) -> None:
    page = api.client.get("/report?content_id=p-1")
    assert page.status_code == 200
    categories = re.findall(r'name="category"[^>]*value="([^"]+)"', page.text)
    assert categories[0] == "child_sexual_exploitation"
    assert "A child is involved in sexual content" in page.text
    names = set(re.findall(r'name="([^"]+)"', page.text))
    assert names <= {
        "form_token",
        "item_given",
        "content_id",
        "url",
        "category",
        "reporter_role",
        "under_18",
        "statement",
        "contact_email",
        # The TAKE IT DOWN Act request, folded away and optional (issue 13, item 5).
        "good_faith_statement",
        "signature",
        "referrer",
        "viewport",
    }, names
    assert "<script" not in page.text  # the form needs no JavaScript
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]


def test_a_childs_report_from_a_link_restricts_the_item_before_the_confirmation(api: Api) -> None:
    api.register("p-1")
    sent = submit_report(
        api.client,
        content_id="p-1",
        category="child_sexual_exploitation",
        reporter_role="depicted_person",
    )
    assert sent.status_code == 303
    confirmation = api.client.get(sent.headers["location"])
    assert confirmation.status_code == 200
    words = text_of(confirmation.text)
    state = api.client.get("/v1/content/p-1", headers=api.key("platform")).json()
    assert state["state"] == "restricted"
    [case_id] = state["case_ids"]
    assert case_id in words
    assert "hidden from the public now" in words
    assert "A decision is due by 01:00 UTC, 1 January 2026" in words
    token = sent.headers["location"].rsplit("/", 1)[1]
    assert f"http://testserver/status/{token}" in confirmation.text
    for place in ("report.cybertip.org", "takeitdown.ncmec.org", "988"):
        assert place in words
    # The category implies a minor; the API view of the same report agrees.
    assert api.status(token)["priority"] == "P0"


def test_a_report_by_url_without_a_link_asks_for_the_link(api: Api) -> None:
    page = api.client.get("/report")
    assert 'name="url"' in page.text and 'type="url"' in page.text
    missing = submit_report(
        api.client, item_given="", category="harassment", reporter_role="third_party"
    )
    assert missing.status_code == 422
    assert "Give the link to the content." in text_of(missing.text)
    sent = submit_report(
        api.client,
        item_given="",
        url="https://platform.example/p/9",
        category="harassment",
        reporter_role="third_party",
    )
    assert sent.status_code == 303


def test_mistakes_are_shown_next_to_the_answers_kept_and_nothing_is_filed(api: Api) -> None:
    before = _counts(api)
    response = submit_report(
        api.client,
        content_id="p-1",
        category="sextortion",
        contact_email="not-an-address",
        statement="my words stay",
    )
    assert response.status_code == 422
    words = text_of(response.text)
    assert "Choose who you are to the content." in words
    assert "This does not look like an email address" in words
    assert "my words stay" in response.text
    assert re.search(r'value="sextortion"\s+checked', response.text)
    assert 'aria-invalid="true"' in response.text
    assert _counts(api) == before


def test_a_post_without_a_valid_token_is_shown_again_and_files_nothing(api: Api) -> None:
    before = _counts(api)
    body = {
        "item_given": "1",
        "content_id": "p-1",
        "category": "spam",
        "reporter_role": "third_party",
    }
    for token in (None, "forged", form_token(api.client) + "x"):
        data = body if token is None else {**body, "form_token": token}
        response = api.client.post("/report", data=data, follow_redirects=False)
        assert response.status_code == 422
        assert "Check your answers and send it again" in text_of(response.text)
        assert re.search(r'value="spam"\s+checked', response.text)
    assert _counts(api) == before


def test_a_post_from_another_site_is_refused(api: Api) -> None:
    before = _counts(api)
    response = api.client.post(
        "/report",
        data={
            "form_token": form_token(api.client),
            "item_given": "1",
            "content_id": "p-1",
            "category": "spam",
            "reporter_role": "third_party",
        },
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _counts(api) == before


def test_the_status_and_hash_pages_cannot_be_framed_but_the_confirmation_can(api: Api) -> None:
    sent = submit_report(api.client, content_id="p-1", category="spam", reporter_role="third_party")
    token = sent.headers["location"].rsplit("/", 1)[1]
    received = api.client.get(sent.headers["location"])
    assert "frame-ancestors 'self'" in received.headers["content-security-policy"]
    for path in (f"/status/{token}", "/report/hashes"):
        policy = api.client.get(path).headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy, path


def test_the_form_is_rate_limited_per_address_and_comes_back_filled_in(api: Api) -> None:
    from takedown.api.deps import PublicRateLimit

    api.client.app.state.public_limit = PublicRateLimit("1/minute")  # type: ignore[attr-defined]
    first = submit_report(
        api.client, content_id="p-1", category="spam", reporter_role="third_party"
    )
    assert first.status_code == 303
    second = submit_report(
        api.client,
        content_id="p-1",
        category="spam",
        reporter_role="third_party",
        statement="It is posted again every hour.",
    )
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) >= 1
    words = text_of(second.text)
    assert "Everything you wrote is kept below" in words
    assert "send it again in about 1 minutes" in words
    assert "It is posted again every hour." in second.text
    assert "go back" not in words.lower()


def test_an_unknown_status_link_is_a_plain_404_page(api: Api) -> None:
    for path in ("/status/nope", "/report/received/nope"):
        response = api.client.get(path)
        assert response.status_code == 404
        assert "We could not find this report" in text_of(response.text)
