"""The oversight dashboard in headless Chromium: the charts render from the page alone and no
request leaves the machine. Saves test-artifacts/screenshots/review-dashboard.png."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from takedown.services.access import create_api_key
from takedown.services.escalation import sweep
from tests.e2e.review.conftest import ReviewServer, screenshot, signed_in

pytestmark = pytest.mark.browser


def test_dashboard_charts_render_with_no_outside_request(
    browser: Any, review_server: ReviewServer
) -> None:
    rt = review_server.runtime
    with rt.transaction() as session:
        key = create_api_key(session, "luis", "lead", rt.clock.now())
    for n in range(3):
        case = review_server.report(f"dash-{n}")
        decided = httpx.post(
            f"{review_server.url}/v1/cases/{case['case_id']}/decision",
            json={"outcome": "violating", "policy": "csam", "reason": "checked"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert decided.status_code == 200, decided.text
    late = review_server.report(
        "dash-late", category="spam", reporter_role="third_party", depicts_minor=False
    )
    with rt.transaction() as session:
        sweep(session, rt.clock.now() + timedelta(days=4))  # past the P3 deadline
    today = rt.clock.now().date()
    period = f"from={today - timedelta(days=1)}&to={today + timedelta(days=5)}"

    page = signed_in(browser, review_server, "lena")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{review_server.url}/staff/dashboard?{period}")

    chart = page.locator("svg#time-to-action")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    bars = page.locator("svg#time-to-action g.bar")
    assert bars.count() == 9  # three measures, three percentiles each
    drawn = page.locator("svg#time-to-action g.bar rect").evaluate_all(
        "rects => rects.map(r => r.getBBox().width)"
    )
    assert len(drawn) == 9 and all(w >= 0 for w in drawn)
    assert page.locator("svg#deadlines g.bar").count() == 8  # met and missed, four priorities
    breach = page.locator(f"details.breach[data-case='{late['case_id']}']")
    breach.locator("summary").click()
    assert "breach" in breach.locator("ol.timeline").inner_text()
    assert page.locator("#percentiles tr[data-measure='report_to_decision_s']").count() == 1
    screenshot(page, "dashboard")

    assert requests, "the page made no request at all"
    outside = [url for url in requests if not url.startswith(review_server.url)]
    assert outside == []
