"""The staff pages' guards: sign-in, roles, CSRF, claims before reveals, and media URLs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from takedown.services import access
from tests.support.factories import Api
from tests.support.review import child_safety_case, events_of, fake_media, staff_user
from tests.support.staff_web import hidden, media_urls, sign_in

ClientFactory = Callable[[], TestClient]


@pytest.fixture
def new_client(api: Api) -> ClientFactory:
    """Another browser: its own cookies, the same running app."""
    return lambda: TestClient(api.client.app)


@pytest.fixture
def staff(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Cheap argon2 parameters: the tests check who may do what, not the hash's cost.
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    for name, role in [
        ("rita", "reviewer"),
        ("rob", "reviewer"),
        ("lena", "lead"),
        ("luis", "lead"),
        ("ada", "admin"),
        ("lee", "legal"),
    ]:
        staff_user(api, name, role)


def test_pages_need_a_staff_session(api: Api, staff: None) -> None:
    for path in ("/staff", "/staff/settings", "/staff/admin", "/staff/legal", "/staff/cases/x"):
        response = api.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login?next=")
    posted = api.client.post("/staff/claim-next", follow_redirects=False)
    assert posted.status_code == 401


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_the_session(
    api: Api, staff: None
) -> None:
    form = api.client.get("/staff/login")
    wrong = api.client.post(
        "/staff/login",
        data={
            "name": "rita",
            "password": "wrong password!",
            "login_token": hidden(form.text, "login_token"),
        },
    )
    assert wrong.status_code == 401
    assert "takedown_staff" not in api.client.cookies

    csrf = sign_in(api.client, "rita")
    cookie = next(c for c in api.client.cookies.jar if c.name == "takedown_staff")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite", "").lower() == "strict"
    assert cookie.path == "/staff"
    stolen = cookie.value

    out = api.client.post("/staff/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    replay = TestClient(api.client.app, cookies={"takedown_staff": stolen})
    assert replay.get("/staff", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_over_https(api: Api, staff: None) -> None:
    client = TestClient(api.client.app, base_url="https://review.example")
    form = client.get("/staff/login")
    response = client.post(
        "/staff/login",
        data={
            "name": "rita",
            "password": "correct horse battery staple",
            "login_token": hidden(form.text, "login_token"),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_login_without_the_forms_token_is_refused(api: Api, staff: None) -> None:
    response = api.client.post(
        "/staff/login",
        data={"name": "rita", "password": "correct horse battery staple", "login_token": "forged"},
    )
    assert response.status_code == 400
    assert "takedown_staff" not in api.client.cookies


def test_a_reviewer_cannot_see_the_admin_or_legal_pages(
    api: Api, staff: None, new_client: ClientFactory
) -> None:
    sign_in(api.client, "rita")
    assert api.client.get("/staff/admin").status_code == 403
    assert api.client.get("/staff/legal").status_code == 403
    assert 'href="/staff/admin"' not in api.client.get("/staff").text

    admin = new_client()
    sign_in(admin, "ada")
    page = admin.get("/staff/admin")
    assert page.status_code == 200 and "rita" in page.text
    assert admin.get("/staff/legal").status_code == 200

    legal = new_client()
    sign_in(legal, "lee")
    assert legal.get("/staff/legal").status_code == 200
    assert legal.get("/staff/admin").status_code == 403
    assert (
        legal.post(
            "/staff/claim-next", data={"csrf_token": hidden(legal.get("/staff").text, "csrf_token")}
        ).status_code
        == 403
    )


def test_every_form_post_needs_the_csrf_token(api: Api, staff: None) -> None:
    case_id = child_safety_case(api)["case_id"]
    csrf = sign_in(api.client, "rita")

    forged = api.client.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": "nope"})
    missing = api.client.post(f"/staff/cases/{case_id}/claim")
    assert (forged.status_code, missing.status_code) == (403, 403)
    assert events_of(api, case_id, "assign") == []

    by_header = api.client.post(
        f"/staff/cases/{case_id}/claim", headers={"X-CSRF-Token": csrf}, follow_redirects=False
    )
    assert by_header.status_code == 303
    assert [e["actor"] for e in events_of(api, case_id, "assign")] == ["rita"]


def test_claim_next_gives_two_reviewers_different_cases(
    api: Api, staff: None, new_client: ClientFactory
) -> None:
    first = child_safety_case(api, "p-1", "acct-1")["case_id"]
    second = child_safety_case(api, "p-2", "acct-2")["case_id"]
    rita, rob = api.client, new_client()
    rita_csrf, rob_csrf = sign_in(rita, "rita"), sign_in(rob, "rob")

    a = rita.post("/staff/claim-next", data={"csrf_token": rita_csrf}, follow_redirects=False)
    b = rob.post("/staff/claim-next", data={"csrf_token": rob_csrf}, follow_redirects=False)

    assert {a.headers["location"], b.headers["location"]} == {
        f"/staff/cases/{first}",
        f"/staff/cases/{second}",
    }
    queue = rita.get("/staff").text
    assert "rita" in queue and "rob" in queue


def test_media_are_revealed_only_by_the_claimer_and_each_reveal_is_recorded(
    api: Api, staff: None, new_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[tuple[str, str]] = []
    fake_media(monkeypatch, reads)
    case_id = child_safety_case(api)["case_id"]
    case = api.case(case_id)
    rita, rob = api.client, new_client()
    rita_csrf, rob_csrf = sign_in(rita, "rita"), sign_in(rob, "rob")
    page = rita.get(f"/staff/cases/{case_id}").text
    [preview] = media_urls(page)
    item_id = page.split("/items/")[1].split("/reveal")[0]

    before_claim = rita.post(
        f"/staff/cases/{case_id}/items/{item_id}/reveal",
        headers={"X-CSRF-Token": rita_csrf, "HX-Request": "true"},
    )
    assert before_claim.status_code == 403
    assert "claim the case" in before_claim.text
    assert events_of(api, case_id, "reveal") == []

    rita.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": rita_csrf})
    not_mine = rob.post(
        f"/staff/cases/{case_id}/items/{item_id}/reveal",
        headers={"X-CSRF-Token": rob_csrf, "HX-Request": "true"},
    )
    assert not_mine.status_code == 403
    revealed = rita.post(
        f"/staff/cases/{case_id}/items/{item_id}/reveal",
        headers={"X-CSRF-Token": rita_csrf, "HX-Request": "true"},
    )
    assert revealed.status_code == 200
    [full] = media_urls(revealed.text)
    assert full != preview

    got = rita.get(full)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.headers["cache-control"] == "no-store, private"
    [reveal] = events_of(api, case_id, "reveal")
    assert (reveal["actor"], reveal["data"]["content_id"]) == (
        "rita",
        case["content"][0]["content_id"],
    )
    assert reads[-1] == (item_id, "rita")


def test_no_media_without_a_staff_session_and_urls_are_not_guessable(
    api: Api, staff: None, new_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_media(monkeypatch)
    case_id = child_safety_case(api)["case_id"]
    csrf = sign_in(api.client, "rita")
    page = api.client.get(f"/staff/cases/{case_id}").text
    [preview] = media_urls(page)
    item_id = page.split("/items/")[1].split("/reveal")[0]
    api.client.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": csrf})
    full = media_urls(
        api.client.post(
            f"/staff/cases/{case_id}/items/{item_id}/reveal",
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        ).text
    )[0]
    assert api.client.get(preview).status_code == 200
    # The preview is a tiny blurred copy, never the original bytes.
    assert len(api.client.get(preview).content) < 1000

    anonymous = new_client()
    for url in (preview, full):
        response = anonymous.get(url, follow_redirects=False)
        assert response.status_code == 303 and not response.content.startswith(b"\x89PNG")
    other = new_client()
    sign_in(other, "rob")
    for url in (preview, full):
        assert other.get(url).status_code == 404  # bound to rita's session
    for guess in (f"/staff/media/{item_id}", f"/staff/media/{case_id}", full[:-3] + "abc"):
        assert api.client.get(guess).status_code == 404
    # Two page loads give different URLs for the same item: nothing to learn from one.
    again = media_urls(api.client.get(f"/staff/cases/{case_id}").text)
    assert preview not in again


def test_full_media_stop_when_the_claim_is_released(
    api: Api, staff: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_media(monkeypatch)
    case_id = child_safety_case(api)["case_id"]
    csrf = sign_in(api.client, "rita")
    api.client.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": csrf})
    page = api.client.get(f"/staff/cases/{case_id}").text
    item_id = page.split("/items/")[1].split("/reveal")[0]
    [full] = media_urls(
        api.client.post(
            f"/staff/cases/{case_id}/items/{item_id}/reveal",
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        ).text
    )
    api.client.post(f"/staff/cases/{case_id}/release", data={"csrf_token": csrf})
    assert api.client.get(full).status_code == 403


def test_media_not_available_is_said_plainly(api: Api, staff: None) -> None:
    case_id = child_safety_case(api)["case_id"]
    sign_in(api.client, "rita")
    page = api.client.get(f"/staff/cases/{case_id}").text
    assert "Media not available" in page
    assert media_urls(page) == []


def test_the_two_person_rule_on_the_pages(api: Api, staff: None, new_client: ClientFactory) -> None:
    report = child_safety_case(api)
    case_id = report["case_id"]
    rita_csrf = sign_in(api.client, "rita")
    api.client.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": rita_csrf})

    no_reason = api.client.post(
        f"/staff/cases/{case_id}/decision",
        data={"csrf_token": rita_csrf, "outcome": "not_violating", "policy": "none", "reason": " "},
    )
    assert no_reason.status_code == 422
    dismissed = api.client.post(
        f"/staff/cases/{case_id}/decision",
        data={
            "csrf_token": rita_csrf,
            "outcome": "not_violating",
            "policy": "none",
            "reason": "looks like an adult",
        },
        follow_redirects=False,
    )
    assert dismissed.status_code == 303
    assert api.case(case_id)["state"] == "pending_second_review"
    assert api.case(case_id)["content"][0]["state"] == "restricted"

    rob = new_client()
    rob_csrf = sign_in(rob, "rob")
    assert (
        rob.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": rob_csrf}).status_code == 403
    )

    lena = new_client()
    lena_csrf = sign_in(lena, "lena")
    assert "Second review" in lena.get(f"/staff/cases/{case_id}").text
    lena.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": lena_csrf})
    agreed = lena.post(
        f"/staff/cases/{case_id}/decision",
        data={
            "csrf_token": lena_csrf,
            "outcome": "not_violating",
            "policy": "none",
            "reason": "agree: an adult, no minor",
        },
        follow_redirects=False,
    )
    assert agreed.status_code == 303
    assert api.case(case_id)["state"] == "decided"

    appeal = api.client.post(f"/v1/status/{report['status_token']}/appeal", json={})
    assert appeal.status_code == 201
    refused = lena.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": lena_csrf})
    assert refused.status_code == 409
    assert "has not decided this case before" in refused.text
    luis = new_client()
    luis_csrf = sign_in(luis, "luis")
    taken = luis.post("/staff/claim-next", data={"csrf_token": luis_csrf}, follow_redirects=False)
    assert taken.headers["location"] == f"/staff/cases/{case_id}"


def test_viewing_settings_are_saved_per_user(api: Api, staff: None) -> None:
    csrf = sign_in(api.client, "rita")
    page = api.client.get("/staff/settings").text
    assert 'value="24"' in page and "checked" in page

    saved = api.client.post("/staff/settings", data={"csrf_token": csrf, "blur_px": "40"})
    too_weak = api.client.post("/staff/settings", data={"csrf_token": csrf, "blur_px": "0"})

    assert saved.status_code == 200
    assert too_weak.status_code == 422
    page = api.client.get("/staff/settings").text
    assert 'value="40"' in page and "checked" not in page


def test_staff_pages_carry_a_strict_content_security_policy(api: Api, staff: None) -> None:
    sign_in(api.client, "rita")
    response = api.client.get("/staff")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    # The API's answers are not pages: the headers are the staff workspace's alone.
    public = api.client.get("/v1/status/no-such-token")
    assert "content-security-policy" not in public.headers
