"""A lead caps how many media one reviewer reveals per day; the cap is enforced."""

from __future__ import annotations

from datetime import timedelta

import pytest

from takedown.clock import ManualClock
from takedown.services import review
from takedown.services.access import Principal, Role
from takedown.services.cases import get_case
from takedown.services.errors import Forbidden
from tests.support.factories import Api
from tests.support.review import child_safety_case, events_of, staff_user
from tests.support.staff_web import hidden, sign_in

RITA = Principal("rita", Role.REVIEWER)


def _reveal(api: Api, case_id: str) -> None:
    with api.runtime.transaction() as session:
        case = get_case(session, case_id)
        review.reveal(session, case, case.links[0].item_id, RITA, api.runtime.clock.now())


def _set_cap(api: Api, cap: str) -> int:
    page = api.client.get("/staff/dashboard")
    response = api.client.post(
        "/staff/dashboard/wellness",
        data={"csrf_token": hidden(page.text, "csrf_token"), "reveal_daily_cap": cap},
    )
    return response.status_code


def test_the_cap_set_on_the_dashboard_stops_reveals_until_the_next_day(
    api: Api, clock: ManualClock
) -> None:
    staff_user(api, "lena", "lead")
    sign_in(api.client, "lena")
    assert _set_cap(api, "2") == 200
    case_id = child_safety_case(api)["case_id"]
    with api.runtime.transaction() as session:
        review.claim(session, get_case(session, case_id), RITA, clock.now())
    _reveal(api, case_id)
    _reveal(api, case_id)
    with pytest.raises(Forbidden) as refused:
        _reveal(api, case_id)
    assert refused.value.code == "reveal_limit_reached"
    assert len(events_of(api, case_id, "reveal")) == 2

    page = api.client.get("/staff/dashboard").text
    assert '<tr data-reviewer="rita">' in page and "2 / 2" in page
    metrics = api.client.get("/metrics", headers=api.key("admin")).text
    assert 'takedown_reveals_today{reviewer="rita"} 2.0' in metrics
    assert "takedown_reveal_daily_cap 2.0" in metrics

    clock.advance(timedelta(days=1))
    with api.runtime.transaction() as session:
        review.claim(session, get_case(session, case_id), RITA, clock.now())
    _reveal(api, case_id)  # a new day
    assert len(events_of(api, case_id, "reveal")) == 3


@pytest.mark.parametrize("bad", ["-1", "lots", "10001", ""])
def test_a_bad_cap_is_refused_and_changes_nothing(api: Api, bad: str) -> None:
    staff_user(api, "lena", "lead")
    sign_in(api.client, "lena")
    assert _set_cap(api, "7") == 200
    assert _set_cap(api, bad) == 422
    assert (
        'name="reveal_daily_cap" min="0" max="10000" value="7"'
        in api.client.get("/staff/dashboard").text
    )


def test_the_dashboard_is_for_leads_and_admins(api: Api) -> None:
    staff_user(api, "rita", "reviewer")
    sign_in(api.client, "rita")
    assert api.client.get("/staff/dashboard").status_code == 403
    page = api.client.get("/staff/dashboard?from=2026-02-01&to=2026-01-01")
    assert page.status_code == 403  # refused before the period is even read


def test_a_bad_period_on_the_dashboard_says_what_to_fix(api: Api) -> None:
    staff_user(api, "lena", "lead")
    sign_in(api.client, "lena")
    page = api.client.get("/staff/dashboard?from=2026-02-01&to=2026-01-01")
    assert page.status_code == 422
    assert "from must not be after to" in page.text
