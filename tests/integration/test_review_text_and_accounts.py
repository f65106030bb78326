"""Review pages for messages and accounts, and decisions on media no one could see."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from takedown.services import access
from tests.support.factories import Api
from tests.support.review import decide, events_of, staff_user
from tests.support.staff_web import sign_in

MESSAGE = "if you tell your mum I will post the pictures. send one more tonight"


@pytest.fixture
def staff(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    for name, role in [("rita", "reviewer"), ("lena", "lead")]:
        staff_user(api, name, role)


def grooming_case(api: Api) -> str:
    api.register_text("msg-1", MESSAGE, account_id="groomer")
    return str(
        api.report(content_id="msg-1", category="grooming", reporter_role="parent_guardian")[
            "case_id"
        ]
    )


def test_a_message_is_shown_as_protected_text_until_a_recorded_reveal(
    api: Api, staff: None
) -> None:
    case_id = grooming_case(api)
    csrf = sign_in(api.client, "rita")
    page = api.client.get(f"/staff/cases/{case_id}").text
    assert "hidden until revealed" in page
    assert MESSAGE not in page and "post the pictures" not in page

    api.client.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": csrf})
    item_id = page.split("/items/")[1].split("/reveal")[0]
    revealed = api.client.post(
        f"/staff/cases/{case_id}/items/{item_id}/reveal",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert revealed.status_code == 200
    assert MESSAGE in revealed.text and "data-item-text" in revealed.text
    [reveal] = events_of(api, case_id, "reveal")
    assert (reveal["actor"], reveal["data"]["content_id"]) == ("rita", "msg-1")
    # Reloading the page hides it again: each look is its own recorded reveal.
    assert MESSAGE not in api.client.get(f"/staff/cases/{case_id}").text


def test_a_message_can_be_decided_on_its_text_without_a_media_confirmation(api: Api) -> None:
    case_id = grooming_case(api)
    response = decide(
        api, case_id, "lena", "lead", "violating", "grooming", without_media_reason=None
    )
    assert response.status_code == 200, response.text
    [event] = events_of(api, case_id, "decide")
    assert "decided_without_media" not in event["data"]


def test_a_violating_decision_on_media_no_one_could_see_needs_a_confirmation(api: Api) -> None:
    api.register("p-1", account_id="uploader")  # hashes only: nothing preserved to look at
    case_id = api.report(content_id="p-1", reporter_role="parent_guardian", depicts_minor=True)[
        "case_id"
    ]
    before = api.case(case_id)

    silent = decide(api, case_id, "lena", "lead", "violating", without_media_reason=None)
    assert (silent.status_code, silent.json()["error"]["code"]) == (422, "media_unseen")
    assert "p-1" in silent.json()["error"]["message"]
    blank = decide(api, case_id, "lena", "lead", "violating", without_media_reason="  ")
    assert blank.status_code == 422
    after = api.case(case_id)
    assert (after["state"], after["content"][0]["state"]) == (before["state"], "restricted")
    assert events_of(api, case_id, "decide") == []

    confirmed = decide(
        api,
        case_id,
        "lena",
        "lead",
        "violating",
        without_media_reason="exact MD5 match to the NCMEC bank",
    )
    assert confirmed.status_code == 200, confirmed.text
    [event] = events_of(api, case_id, "decide")
    assert event["data"]["decided_without_media"] == ["p-1"]
    assert event["data"]["without_media_reason"] == "exact MD5 match to the NCMEC bank"


def test_a_dismissal_needs_no_media_confirmation(api: Api) -> None:
    api.register("p-2", account_id="uploader")
    case_id = api.report(content_id="p-2", category="spam", reporter_role="third_party")["case_id"]
    response = decide(
        api, case_id, "lena", "lead", "not_violating", "none", without_media_reason=None
    )
    assert response.status_code == 200, response.text


def test_the_case_page_of_an_account_lists_its_items_and_lets_a_lead_suspend_it(
    api: Api, staff: None
) -> None:
    api.register_text("dm-1", "hi", account_id="acct-x")
    api.register("p-9", account_id="acct-x")
    case_id = api.report(account_id="acct-x", category="grooming", reporter_role="third_party")[
        "case_id"
    ]

    csrf = sign_in(api.client, "rita")
    page = api.client.get(f"/staff/cases/{case_id}").text
    assert 'data-account-item="dm-1"' in page and 'data-account-item="p-9"' in page
    assert "Suspend this account" not in page  # a reviewer cannot
    refused = api.client.post(
        f"/staff/cases/{case_id}/account-suspension",
        data={"csrf_token": csrf, "policy": "grooming", "reason": "x"},
    )
    assert refused.status_code == 403

    csrf = sign_in(api.client, "lena")
    page = api.client.get(f"/staff/cases/{case_id}").text
    assert "Suspend this account" in page
    no_reason = api.client.post(
        f"/staff/cases/{case_id}/account-suspension",
        data={"csrf_token": csrf, "policy": "grooming", "reason": " "},
    )
    assert no_reason.status_code == 422
    assert api.case(case_id)["subject_account"]["state"] == "active"
    done = api.client.post(
        f"/staff/cases/{case_id}/account-suspension",
        data={"csrf_token": csrf, "policy": "grooming", "reason": "grooming several children"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert api.case(case_id)["subject_account"]["state"] == "suspended"
    page = api.client.get(done.headers["location"]).text
    assert "The account was suspended" in page


def test_the_case_page_asks_why_when_deciding_without_the_media(api: Api, staff: None) -> None:
    api.register("p-7", account_id="uploader")
    case_id = api.report(content_id="p-7", reporter_role="parent_guardian", depicts_minor=True)[
        "case_id"
    ]
    csrf = sign_in(api.client, "lena")
    api.client.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": csrf})
    page = api.client.get(f"/staff/cases/{case_id}").text
    assert "No one could see the media of p-7" in page and 'name="without_media_reason"' in page
    form = {
        "csrf_token": csrf,
        "outcome": "violating",
        "policy": "csam",
        "reason": "a child in sexual content",
    }
    silent = api.client.post(f"/staff/cases/{case_id}/decision", data=form)
    assert silent.status_code == 422 and "confirm you decide without them" in silent.text
    assert events_of(api, case_id, "decide") == []
    done = api.client.post(
        f"/staff/cases/{case_id}/decision",
        data={**form, "without_media_reason": "exact match to the NCMEC hash list"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    [event] = events_of(api, case_id, "decide")
    assert event["data"]["without_media_reason"] == "exact match to the NCMEC hash list"
