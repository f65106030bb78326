"""The review workspace in headless Chromium: sign-in, claim, reveal, decide, two people, appeal.

Each step saves a screenshot to test-artifacts/screenshots/review-*.png.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.review.conftest import ReviewServer, screenshot, signed_in

pytestmark = pytest.mark.browser


def test_sign_in_claim_next_reveal_and_decide(browser: Any, review_server: ReviewServer) -> None:
    report = review_server.report("vid-violence", category="violence", reporter_role="third_party",
                                  depicts_minor=False)  # fmt: skip
    case_id = report["case_id"]
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(review_server.url + "/staff/login")
    screenshot(page, "login")
    page.fill("input[name=name]", "rita")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Wrong name or password."
    page = signed_in(browser, review_server, "rita")

    page.goto(review_server.url + "/staff?category=violence")
    assert page.locator(f"a[href='/staff/cases/{case_id}']").count() == 1
    assert "left" in page.locator("td.left").first.inner_text()
    screenshot(page, "queue")
    page.keyboard.press("c")  # claim next, from the keyboard
    page.wait_for_url(f"{review_server.url}/staff/cases/{case_id}")
    assert page.locator(".claim").inner_text().startswith("Claimed by you")
    preview = page.locator("img.blurred")
    assert "blur(24px)" in preview.evaluate("e => getComputedStyle(e).filter")
    screenshot(page, "case-claimed")

    page.keyboard.press("r")  # reveal, from the keyboard
    revealed = page.locator("figure.media.revealed img")
    revealed.wait_for()
    # Attached is not loaded: on a busy machine the bytes may still be on their way.
    page.wait_for_function("e => e.complete", arg=revealed.element_handle())
    assert revealed.evaluate("e => e.naturalWidth") == 160
    assert "blur" not in revealed.evaluate("e => getComputedStyle(e).filter")
    screenshot(page, "case-revealed")

    page.keyboard.press("v")
    page.select_option("select[name=policy]", "violence")
    page.fill("textarea[name=reason]", "a real threat of violence against a named person")
    page.click("#decision-form button[type=submit]")
    page.wait_for_url(f"**/staff/cases/{case_id}?notice=decided")
    assert "Decision recorded and carried out." in page.inner_text("main")
    screenshot(page, "case-decided")

    assert [e["actor"] for e in review_server.events(case_id, "assign")] == ["rita"]
    [reveal] = review_server.events(case_id, "reveal")
    assert (reveal["actor"], reveal["data"]["content_id"]) == ("rita", "vid-violence")
    [decision] = review_server.events(case_id, "decide")
    assert (decision["actor"], decision["data"]["outcome"]) == ("rita", "violating")
    assert review_server.case_state(case_id) == "decided"


def test_a_reviewer_cannot_open_the_admin_or_legal_pages(
    browser: Any, review_server: ReviewServer
) -> None:
    page = signed_in(browser, review_server, "rob")
    assert page.locator("a[href='/staff/admin']").count() == 0
    for path in ("/staff/admin", "/staff/legal"):
        response = page.goto(review_server.url + path)
        assert response is not None and response.status == 403
        assert "for these roles only" in page.inner_text("main")
    screenshot(page, "reviewer-refused-admin")
    admin = signed_in(browser, review_server, "ada")
    admin.goto(review_server.url + "/staff/admin")
    assert "rita" in admin.inner_text("main")
    screenshot(admin, "admin")
    legal = signed_in(browser, review_server, "lee")
    legal.goto(review_server.url + "/staff/legal")
    assert "CyberTipline filings" in legal.inner_text("main")
    screenshot(legal, "legal")


def test_reveal_needs_a_claim(browser: Any, review_server: ReviewServer) -> None:
    case_id = review_server.report("img-unclaimed")["case_id"]
    rob = signed_in(browser, review_server, "rob")
    rob.goto(f"{review_server.url}/staff/cases/{case_id}")
    rob.click("button[data-reveal]")
    rob.locator("figure.media .error").wait_for()
    assert "claim the case" in rob.locator("figure.media .error").inner_text()
    assert rob.locator("figure.media.revealed").count() == 0
    assert review_server.events(case_id, "reveal") == []
    rob.click("#claim-form button")  # leave it claimed by nobody else's name but rob's
    rob.wait_for_url(f"{review_server.url}/staff/cases/{case_id}")
    rob.click("form[action$='/release'] button")


def test_two_person_rule_and_appeal_to_a_different_lead(
    browser: Any, review_server: ReviewServer
) -> None:
    report = review_server.report("img-cs-1")
    case_id = report["case_id"]
    case_url = f"{review_server.url}/staff/cases/{case_id}"

    rita = signed_in(browser, review_server, "rita")
    rita.goto(case_url)
    rita.keyboard.press("c")
    rita.wait_for_selector("text=Claimed by you")
    rita.keyboard.press("n")
    rita.select_option("select[name=policy]", "none")
    rita.fill("textarea[name=reason]", "the person looks like an adult")
    rita.click("#decision-form button[type=submit]")
    rita.wait_for_url("**?notice=pending_second_review")
    assert "A lead must confirm it" in rita.inner_text("main")
    assert "pending second review" in rita.inner_text("[data-state]")
    screenshot(rita, "pending-second-review")
    assert review_server.case_state(case_id) == "pending_second_review"

    lena = signed_in(browser, review_server, "lena")
    lena.goto(case_url)
    assert "First decision by rita (reviewer)" in lena.inner_text(".decide")
    lena.click("#claim-form button")
    lena.wait_for_selector("text=Claimed by you")
    screenshot(lena, "second-review")
    lena.check("input[name=outcome][value=not_violating]")
    lena.select_option("select[name=policy]", "none")
    lena.fill("textarea[name=reason]", "agree: an adult, no minor depicted")
    lena.click("#decision-form button[type=submit]")
    lena.wait_for_url("**?notice=decided")
    assert review_server.case_state(case_id) == "decided"

    appeal = httpx.post(
        f"{review_server.url}/v1/status/{report['status_token']}/appeal",
        json={"statement": "she is 14; I have her birth certificate"},
    )
    assert appeal.status_code == 201, appeal.text

    lena.goto(case_url)
    assert "appealed" in lena.inner_text("[data-state]")
    assert lena.locator("#claim-form").count() == 0
    assert "has not decided this case before" in lena.inner_text(".claim")
    screenshot(lena, "appeal-refused-to-first-lead")

    luis = signed_in(browser, review_server, "luis")
    luis.goto(case_url)
    assert "she is 14" in luis.inner_text(".decide")
    luis.click("#claim-form button")
    luis.wait_for_selector("text=Claimed by you")
    luis.keyboard.press("v")
    luis.select_option("select[name=policy]", "csam")
    luis.fill("textarea[name=reason]", "on appeal: the parent's evidence shows a minor")
    luis.click("#decision-form button[type=submit]")
    luis.wait_for_url("**?notice=decided")
    screenshot(luis, "appeal-decided")
    stages = [(e["actor"], e["data"]["stage"]) for e in review_server.events(case_id, "decide")]
    assert stages == [("rita", "first"), ("lena", "second"), ("luis", "appeal")]


def test_settings_and_pages_on_a_phone(browser: Any, review_server: ReviewServer) -> None:
    case_id = review_server.report("img-phone")["case_id"]
    page = signed_in(
        browser, review_server, "rob", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    screenshot(page, "queue-phone")
    page.goto(review_server.url + "/staff/settings")
    page.fill("input[name=blur_px]", "40")
    page.uncheck("input[name=greyscale]")
    page.click("main form button[type=submit]")
    assert "Saved." in page.inner_text("main")
    screenshot(page, "settings-phone")
    page.goto(f"{review_server.url}/staff/cases/{case_id}")
    preview = page.locator("img.blurred")
    style = preview.evaluate("e => getComputedStyle(e).filter")
    assert "blur(40px)" in style and "grayscale" not in style
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the case page scrolls sideways on a phone ({width}px)"
    screenshot(page, "case-phone")
