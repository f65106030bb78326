"""Staff sign-in is throttled per account and per address, with a doubling wait, and every
failure is kept (issue 10, finding 6). The test moves the injected clock; nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from takedown.clock import ManualClock
from takedown.store.intake import LoginAttempt
from tests.support.factories import Api
from tests.support.review import PASSWORD, staff_user
from tests.support.staff_web import hidden


def _try(api: Api, name: str, password: str, address: str | None = None) -> tuple[int, str]:
    form = api.client.get("/staff/login")
    headers = {"X-Forwarded-For": address} if address else {}
    response = api.client.post(
        "/staff/login",
        data={"name": name, "password": password, "login_token": hidden(form.text, "login_token")},
        headers=headers,
        follow_redirects=False,
    )
    return response.status_code, response.headers.get("retry-after", "")


def test_an_account_waits_longer_after_each_failure_past_five(api: Api, clock: ManualClock) -> None:
    staff_user(api, "rev", "reviewer")
    assert [_try(api, "rev", "guess")[0] for _ in range(5)] == [401] * 5
    # The sixth is refused before the password is even checked, the right one too.
    assert _try(api, "rev", PASSWORD) == (429, "30")
    clock.advance(timedelta(seconds=31))
    assert _try(api, "rev", "guess")[0] == 401
    # Each further failure doubles the wait.
    assert _try(api, "rev", PASSWORD) == (429, "60")
    clock.advance(timedelta(seconds=61))
    assert _try(api, "rev", PASSWORD)[0] == 303


def test_a_success_clears_the_accounts_count(api: Api, clock: ManualClock) -> None:
    staff_user(api, "rev", "reviewer")
    for _ in range(4):
        _try(api, "rev", "guess")
    assert _try(api, "rev", PASSWORD)[0] == 303
    assert [_try(api, "rev", "guess")[0] for _ in range(5)] == [401] * 5


def test_one_address_guessing_many_names_is_throttled(proxied_api: Api) -> None:
    api = proxied_api
    staff_user(api, "lead", "lead")
    answers = [_try(api, f"name-{n}", "guess", "203.0.113.1")[0] for n in range(20)]
    assert answers == [401] * 20
    assert _try(api, "another", "guess", "203.0.113.1")[0] == 429
    # Another network is not held back by it, and the right password works from there.
    assert _try(api, "lead", PASSWORD, "198.51.100.2")[0] == 303


def test_the_throttle_page_says_when_to_try_again(api: Api) -> None:
    staff_user(api, "rev", "reviewer")
    for _ in range(5):
        _try(api, "rev", "guess")
    form = api.client.get("/staff/login")
    page = api.client.post(
        "/staff/login",
        data={"name": "rev", "password": "x", "login_token": hidden(form.text, "login_token")},
    )
    assert page.status_code == 429
    assert "Too many failed sign-ins" in page.text and "try again in about 1 minutes" in page.text


def test_every_failure_is_kept_with_name_address_and_outcome(api: Api) -> None:
    staff_user(api, "rev", "reviewer")
    for _ in range(6):
        _try(api, "rev", "guess")
    _try(api, "nobody", "guess")
    with api.runtime.transaction() as session:
        rows = [
            (a.name, a.address, a.outcome, a.succeeded)
            for a in session.scalars(select(LoginAttempt).order_by(LoginAttempt.id))
        ]
    assert rows == [
        *[("rev", "testclient", "wrong_password", False)] * 5,
        ("rev", "testclient", "throttled", False),
        ("nobody", "testclient", "wrong_password", False),
    ]
