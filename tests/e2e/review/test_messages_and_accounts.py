"""Review pages for issue 13 on a phone-sized screen (390x844), checked by axe-core: a message
shown as protected text until a recorded reveal, and a case about an account that a lead
suspends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.public.conftest import axe_source, serious_violations  # noqa: F401  (fixture)
from tests.e2e.review.conftest import ReviewServer, screenshot, signed_in

pytestmark = pytest.mark.browser

MESSAGE = "if you tell your mum I will post the pictures. one more tonight"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def register_text(server: ReviewServer, content_id: str, account: str) -> None:
    response = httpx.post(
        server.url + "/v1/content",
        data={"content_id": content_id, "account_id": account, "kind": "text", "text": MESSAGE},
        headers=server.platform,
    )
    assert response.status_code == 200, response.text


def fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def test_a_message_is_protected_text_until_revealed_then_decided(
    browser: Any,
    review_server: ReviewServer,
    axe_source: str,  # noqa: F811
) -> None:
    register_text(review_server, "msg-r1", "groomer-1")
    report = httpx.post(
        review_server.url + "/v1/reports",
        json={"content_id": "msg-r1", "category": "grooming", "reporter_role": "parent_guardian"},
    ).json()
    case_id = report["case_id"]
    assert report["priority"] == "P0"

    page = signed_in(browser, review_server, "rita", **PHONE)
    page.goto(f"{review_server.url}/staff/cases/{case_id}")
    assert "hidden until revealed" in page.inner_text("main")
    assert MESSAGE not in page.content()
    assert serious_violations(page, axe_source) == []
    fits_the_screen(page)
    screenshot(page, "message-hidden-phone")

    page.click("#claim-form button[type=submit]")
    page.get_by_role("button", name="Reveal this item").click()
    text = page.locator("[data-item-text]")
    text.wait_for()
    assert text.inner_text() == MESSAGE
    [reveal] = review_server.events(case_id, "reveal")
    assert (reveal["actor"], reveal["data"]["content_id"]) == ("rita", "msg-r1")
    assert serious_violations(page, axe_source) == []
    fits_the_screen(page)
    screenshot(page, "message-revealed-phone")

    page.check("input[name=outcome][value=violating]")
    page.select_option("select[name=policy]", "grooming")
    page.fill("textarea[name=reason]", "threatens a child to get more pictures")
    page.click("#decision-form button[type=submit]")
    page.wait_for_url(f"**/staff/cases/{case_id}?notice=decided")
    assert review_server.case_state(case_id) == "decided"


def test_a_lead_suspends_the_account_a_case_is_about(
    browser: Any,
    review_server: ReviewServer,
    axe_source: str,  # noqa: F811
) -> None:
    register_text(review_server, "msg-r2", "acct-r2")
    review_server.register("img-r2")
    case_id = httpx.post(
        review_server.url + "/v1/reports",
        json={"account_id": "acct-r2", "category": "grooming", "reporter_role": "third_party"},
    ).json()["case_id"]

    page = signed_in(browser, review_server, "lena", **PHONE)
    page.goto(f"{review_server.url}/staff/cases/{case_id}")
    assert page.locator("[data-account-item=msg-r2]").count() == 1
    assert MESSAGE not in page.content()  # listed items never show their text unrevealed
    assert serious_violations(page, axe_source) == []
    fits_the_screen(page)
    screenshot(page, "account-case-phone")

    form = page.locator("#suspend-form")
    form.locator("select[name=policy]").select_option("grooming")
    form.locator("textarea[name=reason]").fill("messages several children asking for pictures")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/staff/cases/{case_id}?notice=suspended")
    assert page.locator("[data-account-state]").inner_text() == "suspended"
    assert serious_violations(page, axe_source) == []
    [action] = [
        e for e in review_server.events(case_id, "action") if e["data"]["action"] == "suspended"
    ]
    assert (action["actor"], action["data"]["account_id"]) == ("lena", "acct-r2")
