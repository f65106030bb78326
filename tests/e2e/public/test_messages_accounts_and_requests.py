"""Issue 13's public flows on a phone-sized screen (390x844) in headless Chromium, each page
checked by axe-core: a parent reports a grooming message, a bystander reports an account, the
person in the images makes a TAKE IT DOWN Act request, and each status page tells the story."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.public.conftest import serious_violations
from tests.support.browser import screenshot
from tests.support.server import ServerProcess
from tests.support.synthetic_media import encoded, synthetic_image

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MESSAGE = "you seem really mature for 13. delete our chat and send me a picture, just for me"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport=PHONE, is_mobile=True)
    yield context.new_page()
    context.close()


def register_text(
    server: ServerProcess, keys: dict[str, Any], content_id: str, account: str
) -> None:
    response = httpx.post(
        server.url + "/v1/content",
        data={"content_id": content_id, "account_id": account, "kind": "text", "text": MESSAGE},
        headers=keys["platform"],
    )
    assert response.status_code == 200, response.text


def fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"


def test_a_parent_reports_a_grooming_message_and_follows_the_story(
    phone: Any, public_server: ServerProcess, staff_keys: dict[str, Any], axe_source: str
) -> None:
    register_text(public_server, staff_keys, "msg-7001", "stranger-1")
    phone.goto(f"{public_server.url}/report?content_id=msg-7001")
    main = phone.inner_text("main")
    assert "delete our chat" in main and "msg-7001" not in main
    assert serious_violations(phone, axe_source) == []
    fits_the_screen(phone)
    screenshot(phone, "report-message-phone")

    phone.get_by_label("An adult is trying to get sexual contact with a child").check()
    phone.get_by_label("I am the parent or guardian of someone in it").check()
    phone.get_by_role("button", name="Send report").click()
    phone.get_by_role("heading", name="We received your report").wait_for()
    assert "hidden from the public now" in phone.inner_text("main")
    state = httpx.get(
        f"{public_server.url}/v1/content/msg-7001", headers=staff_keys["platform"]
    ).json()["state"]
    assert state == "restricted"

    phone.goto(phone.locator("#status-link").get_attribute("href"))
    main = phone.inner_text("main")
    assert "What you reported" in main and "delete our chat" in main
    assert "P0" not in main and "msg-7001" not in main and "priority" not in main
    assert main.index("We received your report") < main.index("was hidden from public view")
    assert serious_violations(phone, axe_source) == []
    fits_the_screen(phone)
    screenshot(phone, "status-message-phone")


def test_a_bystander_reports_an_account_from_its_profile(
    phone: Any, public_server: ServerProcess, staff_keys: dict[str, Any], axe_source: str
) -> None:
    register_text(public_server, staff_keys, "msg-7002", "acct-seller")
    phone.goto(f"{public_server.url}/report?account_id=acct-seller")
    assert "You are reporting an account" in phone.inner_text("main")
    assert serious_violations(phone, axe_source) == []
    phone.get_by_label("A child is involved in sexual content").check()
    phone.get_by_label("I saw it").check()
    phone.get_by_label("Anything else we should know (optional)").fill(
        "this account sells videos of a boy"
    )
    phone.get_by_role("button", name="Send report").click()
    phone.get_by_role("heading", name="We received your report").wait_for()
    token = phone.locator("#status-link").get_attribute("href").rsplit("/", 1)[1]
    case_id = httpx.get(f"{public_server.url}/v1/status/{token}").json()["case_id"]
    case = httpx.get(f"{public_server.url}/v1/cases/{case_id}", headers=staff_keys["reviewer"])
    listed = [i["content_id"] for i in case.json()["subject_account"]["items"]]
    assert listed == ["msg-7002"]
    fits_the_screen(phone)
    screenshot(phone, "confirmation-account-phone")


def test_the_person_in_the_images_asks_for_removal_under_the_take_it_down_act(
    phone: Any, public_server: ServerProcess, staff_keys: dict[str, Any], axe_source: str
) -> None:
    from tests.e2e.public.conftest import register

    register(public_server, staff_keys, "img-7003")
    phone.goto(f"{public_server.url}/report?content_id=img-7003")
    phone.get_by_label("Nude or sexual images shared without consent").check()
    phone.get_by_label("I am in it").check()
    phone.get_by_text("Ask for them to be removed within 48 hours").click()
    phone.get_by_label("I believe in good faith").check()
    phone.get_by_label("Your signature: type your full name").fill("Sam Example")
    assert serious_violations(phone, axe_source) == []
    fits_the_screen(phone)
    screenshot(phone, "report-take-it-down-phone")

    phone.get_by_role("button", name="Send report").click()
    # No email yet: the form comes back with everything kept and says what is missing.
    phone.get_by_role("heading", name="Please check your report").wait_for()
    assert phone.get_by_label("Your signature: type your full name").input_value() == "Sam Example"
    assert serious_violations(phone, axe_source) == []
    phone.get_by_label("Email for updates (optional)").fill("sam@example.org")
    phone.get_by_role("button", name="Send report").click()
    phone.get_by_role("heading", name="We received your report").wait_for()
    phone.goto(phone.locator("#status-link").get_attribute("href"))
    main = phone.inner_text("main")
    assert "Your removal request under the TAKE IT DOWN Act is valid" in main
    assert serious_violations(phone, axe_source) == []
    screenshot(phone, "status-take-it-down-phone")


def test_a_bullying_report_on_a_photo_shows_its_thumbnail_on_the_status_page(
    phone: Any, public_server: ServerProcess, staff_keys: dict[str, Any], axe_source: str
) -> None:
    response = httpx.post(
        public_server.url + "/v1/content",
        data={"content_id": "img-7004", "account_id": "acct-bully", "title": "Locker room sign"},
        files={"file": ("p.png", encoded(synthetic_image(21, (600, 400))), "image/png")},
        headers=staff_keys["platform"],
    )
    assert response.status_code == 200, response.text
    phone.goto(f"{public_server.url}/report?content_id=img-7004")
    phone.get_by_label("Bullying or harassment").check()
    phone.get_by_label("I saw it").check()
    phone.get_by_role("button", name="Send report").click()
    phone.get_by_role("heading", name="We received your report").wait_for()

    phone.goto(phone.locator("#status-link").get_attribute("href"))
    thumbnail = phone.get_by_role("img", name="A small picture of what you reported")
    thumbnail.wait_for()
    # Loaded under the page's own policy, and drawn no larger than it was kept.
    assert phone.evaluate("document.querySelector('.item-thumbnail').naturalWidth") == 160
    assert "Locker room sign" in phone.inner_text("main")
    assert serious_violations(phone, axe_source) == []
    fits_the_screen(phone)
    screenshot(phone, "status-thumbnail-phone")
