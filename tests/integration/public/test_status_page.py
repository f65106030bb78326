"""The status page after each step of a case shows that step in plain words, the decision
with its reason, and the appeal button when an appeal is possible."""

from __future__ import annotations

import re
from datetime import timedelta

from takedown.clock import ManualClock
from takedown.domain.vocabulary import Outcome, Policy
from takedown.services.access import Principal, Role
from takedown.services.cases import get_case
from takedown.services.review import decide
from tests.support.factories import Api
from tests.support.public import form_token, submit_report, text_of


def _decide(api: Api, case_id: str, outcome: Outcome, policy: Policy, reason: str) -> None:
    with api.runtime.transaction() as session:
        decide(
            session,
            get_case(session, case_id),
            Principal("rev-ana", Role.REVIEWER),
            outcome,
            policy,
            reason,
            api.runtime.clock.now(),
            without_media_reason="decided on the registered hashes",
        )


def _page(api: Api, token: str) -> str:
    response = api.client.get(f"/status/{token}")
    assert response.status_code == 200
    return text_of(response.text)


def test_each_step_of_a_case_appears_in_plain_words(api: Api, clock: ManualClock) -> None:
    api.register("p-1", account_id="uploader-1")
    sent = submit_report(
        api.client,
        content_id="p-1",
        category="child_sexual_exploitation",
        reporter_role="parent_guardian",
    )
    token = sent.headers["location"].rsplit("/", 1)[1]
    case_id = api.status(token)["case_id"]

    words = _page(api, token)
    assert "We received your report" in words
    assert "hidden from public view" in words
    assert "The content is hidden from the public." in words
    assert "Waiting for a decision by a trained reviewer" in words
    assert "Appeal this decision" not in words

    clock.advance(timedelta(minutes=31))
    api.runtime.worker.drain()
    words = _page(api, token)
    assert "passed to senior reviewers" in words
    assert "Passed to senior reviewers because the decision is due soon" in words

    _decide(api, case_id, Outcome.VIOLATING, Policy.CSAM, "sexual image of a child")
    words = _page(api, token)
    assert "decided the content breaks the rules: sexual image of a child" in words
    assert "The content you reported was removed from the platform." in words
    assert "The account that posted it was suspended" in words
    assert "The content was removed." in words
    assert "The content breaks the rules." in words
    assert "The reason given: sexual image of a child" in words
    assert "Appeal this decision" not in words
    assert "A decision is due by" not in words.split("What has happened")[0]


def test_a_dismissal_can_be_appealed_from_the_status_page(api: Api) -> None:
    api.register("p-2")
    sent = submit_report(
        api.client, content_id="p-2", category="harassment", reporter_role="third_party"
    )
    token = sent.headers["location"].rsplit("/", 1)[1]
    case_id = api.status(token)["case_id"]
    _decide(api, case_id, Outcome.NOT_VIOLATING, Policy.NONE, "a joke between friends")

    page = api.client.get(f"/status/{token}")
    words = text_of(page.text)
    assert "The reviewer decided the content does not break the rules." in words
    assert "The reason given: a joke between friends" in words
    assert "Appeal this decision" in words
    check = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert check

    appealed = api.client.post(
        f"/status/{token}/appeal",
        data={"form_token": check.group(1), "statement": "it names my child"},
        follow_redirects=False,
    )
    assert appealed.status_code == 303
    words = text_of(api.client.get(appealed.headers["location"]).text)
    assert "Your appeal was sent" in words
    assert "An appeal was received" in words
    assert api.status(token)["state"] == "appealed"
    assert "Appeal this decision" not in words


def test_an_appeal_is_not_filed_without_the_pages_token(api: Api) -> None:
    api.register("p-3")
    sent = submit_report(
        api.client, content_id="p-3", category="harassment", reporter_role="third_party"
    )
    token = sent.headers["location"].rsplit("/", 1)[1]
    _decide(api, api.status(token)["case_id"], Outcome.NOT_VIOLATING, Policy.NONE, "fine")
    forged = api.client.post(
        f"/status/{token}/appeal", data={"form_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 303
    foreign = api.client.post(
        f"/status/{token}/appeal",
        data={"form_token": form_token(api.client, f"/status/{token}")},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert api.status(token)["state"] == "decided"
