"""Staff media are inert whatever the uploader or the media host claims (issue 10.1).

The probe's attack: a PNG with an HTML page appended, declared `text/html`, opened by a lead in
a tab, ran in the staff origin. Takedown keeps the type it found in the bytes and serves media
so that no browser can run them.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from takedown.services import access, evidence
from takedown.store.models import ContentItem
from tests.support.enforcement import synthetic_png, upload
from tests.support.factories import Api
from tests.support.media_host import MediaHost
from tests.support.review import fake_media, staff_user
from tests.support.staff_web import media_urls, sign_in

PAGE = (
    b"<!doctype html><html><body><script>"
    b"fetch('/staff').then(r => r.text()).then(t => document.title = t)"
    b"</script></body></html>"
)
INERT_CSP = "default-src 'none'; sandbox"


def polyglot(seed: int = 4) -> bytes:
    """A real, decodable PNG with an HTML page after its last chunk."""
    return synthetic_png(seed) + PAGE


@pytest.fixture
def reviewer(api: Api, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    staff_user(api, "rita", "reviewer")
    return api.client


def reveal(api: Api, client: TestClient, case_id: str) -> list[str]:
    """Sign in, claim the case, reveal its item; the page's media URLs (preview, full)."""
    csrf = sign_in(client, "rita")
    client.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": csrf})
    page = client.get(f"/staff/cases/{case_id}").text
    item_id = page.split("/items/")[1].split("/reveal")[0]
    revealed = client.post(
        f"/staff/cases/{case_id}/items/{item_id}/reveal",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert revealed.status_code == 200, revealed.text
    return media_urls(revealed.text)


def assert_inert(headers: dict[str, str] | object, media_type: str) -> None:
    h = dict(headers)  # type: ignore[call-overload]
    assert h["content-type"] == media_type
    assert h["x-content-type-options"] == "nosniff"
    assert h["content-security-policy"] == INERT_CSP


def test_a_polyglot_uploaded_as_html_is_kept_and_served_as_an_inert_image(
    api: Api, reviewer: TestClient
) -> None:
    report = api.report(content_id="p-9", reporter_role="depicted_person", depicts_minor=True)
    data = polyglot()
    response = api.client.post(
        "/v1/content",
        data={"content_id": "p-9", "account_id": "acct-z"},
        files={"file": ("p-9.html", data, "text/html")},
        headers=api.key("platform"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "restricted"
    with api.runtime.transaction() as session:
        item = session.query(ContentItem).filter_by(content_id="p-9").one()
        assert item.media_type == "image/png"
        record = evidence.record_for_item(session, item.id)
        assert record is not None and record.media_type == "image/png"

    urls = reveal(api, reviewer, report["case_id"])
    full = reviewer.get(urls[-1])
    assert full.status_code == 200
    assert full.content == data  # the evidence is the bytes as uploaded, page and all
    assert_inert(full.headers, "image/png")
    assert full.headers["content-disposition"] == 'inline; filename="media.png"'
    preview = reviewer.get(urls[0])
    assert_inert(preview.headers, "image/png")


def test_media_fetched_from_a_url_keep_the_type_of_their_bytes(
    api: Api, media: MediaHost, reviewer: TestClient
) -> None:
    data = polyglot(6)
    url = media.put("/m/p-1", data, "text/html; charset=utf-8")
    upload(api, "p-1", "acct-a", synthetic_png(6), url)
    report = api.report(content_id="p-1", reporter_role="depicted_person", depicts_minor=True)
    api.runtime.worker.drain()
    with api.runtime.transaction() as session:
        found = evidence.read_media(session, "p-1", "legal-1", api.runtime.clock.now())
    assert found == (data, "image/png")
    full = reviewer.get(reveal(api, reviewer, report["case_id"])[-1])
    assert_inert(full.headers, "image/png")
    assert full.content == data


def test_a_stored_page_is_never_served_inline_whatever_type_was_recorded(
    api: Api, reviewer: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if a record from before this rule said text/html about bytes that are only a page.
    from takedown.web.staff import media

    fake_media(monkeypatch)
    monkeypatch.setattr(media, "load_media", lambda *_: (PAGE, "text/html"))
    api.register("p-2", "acct-b")
    report = api.report(
        content_id="p-2",
        category="child_sexual_exploitation",
        reporter_role="parent_guardian",
        depicts_minor=True,
    )
    full = reviewer.get(reveal(api, reviewer, report["case_id"])[-1])
    assert full.status_code == 200
    assert_inert(full.headers, "application/octet-stream")
    assert full.headers["content-disposition"].startswith("attachment")
