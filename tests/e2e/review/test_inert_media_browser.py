"""A PNG+HTML polyglot opened by a reviewer in Chromium is an image, and its script never runs
(issue 10.1: the probe's page read a CSRF token and decided a case as the lead)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.review.conftest import ReviewServer, signed_in
from tests.support.review import synthetic_png

pytestmark = pytest.mark.browser

PAGE = b"<html><body><script>document.title = 'pwned'; window.ran = true;</script></body></html>"


def test_a_polyglot_declared_html_opens_as_an_inert_image(
    browser: Any, review_server: ReviewServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from takedown.web.staff import media

    polyglot = synthetic_png(11) + PAGE
    monkeypatch.setattr(media, "load_media", lambda *_: (polyglot, "text/html"))
    case_id = review_server.report("polyglot-1")["case_id"]
    page = signed_in(browser, review_server, "rita")
    page.goto(f"{review_server.url}/staff/cases/{case_id}")
    page.click("#claim-form button")
    page.wait_for_url(f"{review_server.url}/staff/cases/{case_id}")
    page.keyboard.press("r")
    revealed = page.locator("figure.media.revealed img")
    revealed.wait_for()
    # Attached is not loaded: on a busy machine the bytes may still be on their way.
    page.wait_for_function("e => e.complete", arg=revealed.element_handle())
    assert revealed.evaluate("e => e.naturalWidth") == 160

    tab = page.context.new_page()  # "open image in new tab", as the lead in the probe did
    answer = tab.goto(review_server.url + revealed.get_attribute("src"))
    assert answer is not None and answer.headers["content-type"] == "image/png"
    assert tab.evaluate("document.contentType") == "image/png"
    assert tab.evaluate("window.ran === undefined") and tab.title() != "pwned"
