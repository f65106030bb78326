"""The report form and the status page show what is being reported, never the internal id."""

from __future__ import annotations

from tests.support.factories import Api
from tests.support.public import submit_report, text_of

MESSAGE = "hey, you looked cute in school today. want to video chat tonight? dont tell anyone"


def test_the_form_shows_a_messages_text_and_a_videos_title_not_their_ids(api: Api) -> None:
    api.register_text("msg-8812", MESSAGE)
    form = text_of(api.client.get("/report?content_id=msg-8812").text)
    assert "You are reporting" in form and "video chat tonight" in form
    assert "msg-8812" not in form

    response = api.client.post(
        "/v1/content",
        data={
            "content_id": "vid-4471",
            "account_id": "acct-1",
            "kind": "video",
            "title": "Summer camp compilation",
            "signals": '{"md5": "0123456789abcdef0123456789abcdef"}',
        },
        headers=api.key("platform"),
    )
    assert response.status_code == 200, response.text
    form = text_of(api.client.get("/report?content_id=vid-4471").text)
    assert "Summer camp compilation" in form and "vid-4471" not in form

    unknown = text_of(api.client.get("/report?content_id=not-registered-77").text)
    assert "The item you chose on the platform" in unknown
    assert "not-registered-77" not in unknown


def test_a_title_longer_than_300_characters_is_refused(api: Api) -> None:
    response = api.client.post(
        "/v1/content",
        data={"content_id": "t-1", "account_id": "a", "kind": "text", "title": "x" * 301},
        headers=api.key("platform"),
    )
    assert response.status_code == 422
    assert api.client.get("/v1/content/t-1", headers=api.key("platform")).status_code == 404


def test_the_status_page_shows_the_excerpt_and_the_story(api: Api) -> None:
    api.register_text("msg-9", MESSAGE)
    sent = submit_report(
        api.client, content_id="msg-9", category="grooming", reporter_role="parent_guardian"
    )
    assert sent.status_code == 303, sent.text
    token = sent.headers["location"].rsplit("/", 1)[1]
    words = text_of(api.client.get(f"/status/{token}").text)
    assert "What you reported" in words and "video chat tonight" in words
    assert "msg-9" not in words and "P0" not in words
    received = words.index("We received your report")
    hidden = words.index("The content you reported was hidden from public view")
    assert received < hidden


def test_an_account_is_reported_from_its_profile_link(api: Api) -> None:
    api.register_text("post-1", "hello", account_id="acct-42")
    form = text_of(api.client.get("/report?account_id=acct-42").text)
    assert "You are reporting an account" in form
    sent = submit_report(
        api.client,
        account_id="acct-42",
        category="grooming",
        reporter_role="third_party",
        statement="messages kids from this account",
    )
    assert sent.status_code == 303, sent.text
    confirmation = text_of(api.client.get(sent.headers["location"]).text)
    assert "look at the account and what it posts" in confirmation
    assert "We have not found this content" not in confirmation
    token = sent.headers["location"].rsplit("/", 1)[1]
    case = api.case(api.status(token)["case_id"])
    assert case["subject_account_id"] == "acct-42"
    assert [i["content_id"] for i in case["subject_account"]["items"]] == ["post-1"]
    words = text_of(api.client.get(f"/status/{token}").text)
    assert "You are reporting an account" in words
