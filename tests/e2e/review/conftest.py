"""A real HTTP server (uvicorn in a thread, SQLite in a temporary folder) for the review pages'
browser tests, which run in headless Debian Chromium (tests/e2e/conftest.py).

The server runs in this process so that preserved media can be stood in for by synthetic
images (`tests.support.review.fake_media`); everything else is the real application.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from takedown.app import create_app
from takedown.config import Settings
from takedown.runtime import Runtime
from takedown.services import access
from takedown.services.access import create_api_key, create_user
from tests.support.browser import screenshot as save_screenshot
from tests.support.review import PASSWORD, synthetic_png
from tests.support.server import register_content, serving_in_thread

STAFF = [("rita", "reviewer"), ("rob", "reviewer"), ("lena", "lead"), ("luis", "lead"),
         ("ada", "admin"), ("lee", "legal")]  # fmt: skip


@dataclass
class ReviewServer:
    url: str
    runtime: Runtime
    platform: dict[str, str]

    def register(self, content_id: str) -> None:
        register_content(self.url, self.platform, content_id)

    def report(self, content_id: str, **fields: Any) -> dict[str, Any]:
        self.register(content_id)
        body = {
            "content_id": content_id,
            "category": "child_sexual_exploitation",
            "reporter_role": "parent_guardian",
            "depicts_minor": True,
            "statement": "this is my daughter, she is 14",
            **fields,
        }
        response = httpx.post(self.url + "/v1/reports", json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def events(self, case_id: str, type: str) -> list[dict[str, Any]]:
        from takedown.api.presenters import event_json
        from takedown.services import case_log

        with self.runtime.transaction() as session:
            return [event_json(e) for e in case_log.history(session, case_id) if e.type == type]

    def case_state(self, case_id: str) -> str:
        from takedown.services.cases import get_case

        with self.runtime.transaction() as session:
            return get_case(session, case_id).state


@pytest.fixture(scope="module")
def review_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReviewServer]:
    from takedown.services import review as review_service
    from takedown.web.staff import media

    workdir = tmp_path_factory.mktemp("review-serve")
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'takedown.db'}",
        data_dir=workdir / "data",
        run_worker=False,
        secret_key="browser-test-secret",
        report_rate_limit="1000/minute",
    )
    runtime = Runtime.build(settings)
    with pytest.MonkeyPatch.context() as patch:
        # Cheap argon2 for the test users; synthetic images for every item's media.
        patch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
        patch.setattr(media, "media_available", lambda _session, _item_id: True)
        # The same stand-in for the decision rule on unseen media (services.review).
        patch.setattr(review_service, "_preserved", lambda _session, _item_id: True)
        patch.setattr(
            media,
            "load_media",
            lambda _s, item_id, _a, _n: (synthetic_png(len(item_id)), "image/png"),
        )
        with runtime.transaction() as session:
            for name, role in STAFF:
                create_user(session, name, role, PASSWORD, runtime.clock.now())
            key = create_api_key(session, "acme", "platform", runtime.clock.now())
        with serving_in_thread(create_app(runtime, run_worker=False)) as url:
            yield ReviewServer(url, runtime, {"Authorization": f"Bearer {key}"})


def screenshot(page: Any, name: str) -> None:
    """The review pages' screenshots are named review-NAME.png."""
    save_screenshot(page, f"review-{name}")


def signed_in(browser: Any, server: ReviewServer, name: str, **context: Any) -> Any:
    """A fresh browser context signed in as `name`; returns its page on the queue."""
    options = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US", **context}
    page = browser.new_context(**options).new_page()
    page.goto(server.url + "/staff")
    assert "/staff/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/staff")
    return page
