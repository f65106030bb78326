"""Evidence capture fetches only what TAKEDOWN_FETCH_ALLOW allows (issue 10.4).

The probe registered a url on 127.0.0.1 that redirected to `/metrics`, and `file:` and
`gopher:` urls that were retried for 72 hours. Under default settings none is fetched, each
fails at once, and the case says why.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import select

from takedown.config import Settings
from takedown.store.models import OutboxJob
from tests.support.enforcement import events, synthetic_png, upload
from tests.support.factories import Api
from tests.support.media_host import MediaHost


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, fetch_allow="")  # the default: public addresses only


def hide(api: Api, url: str) -> str:
    upload(api, "p-1", "acct-a", synthetic_png(2), url)
    report = api.report(content_id="p-1", reporter_role="depicted_person", depicts_minor=True)
    api.runtime.worker.drain()
    return str(report["case_id"])


def reason(api: Api, case_id: str) -> str:
    [note] = [e for e in events(api, case_id, "evidence") if e["data"]["action"] == "unavailable"]
    return json.dumps(note["data"])


def capture_jobs(api: Api) -> list[OutboxJob]:
    with api.runtime.transaction() as session:
        jobs = session.scalars(select(OutboxJob).where(OutboxJob.kind == "evidence.capture"))
        return [j for j in jobs if session.expunge(j) is None]


def test_a_loopback_url_is_never_fetched_by_default(api: Api, media: MediaHost) -> None:
    url = media.put("/m/p-1.png", synthetic_png(2))
    case_id = hide(api, url)
    assert media.fetches == []
    assert "TAKEDOWN_FETCH_ALLOW" in reason(api, case_id)
    [job] = capture_jobs(api)
    assert job.status == "done" and job.attempts <= 1  # failed at once, not retried


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "http://169.254.169.254/"]
)
def test_other_schemes_and_metadata_addresses_fail_at_once_with_a_reason(
    api: Api, url: str
) -> None:
    case_id = hide(api, url)
    assert "http" in reason(api, case_id) or "not a public address" in reason(api, case_id)
    [job] = capture_jobs(api)
    assert job.status == "done"


def allow(api: Api, fetch_allow: str) -> None:
    """Restart the evidence jobs as a process started with TAKEDOWN_FETCH_ALLOW would."""
    api.runtime.worker.settings = replace(api.runtime.settings, fetch_allow=fetch_allow)


def test_a_redirect_to_loopback_is_not_followed(api: Api, media: MediaHost) -> None:
    # The first hop is allowed (its name is listed); its redirect to an address is not.
    allow(api, "localhost")
    media.redirects["/m/p-1.png"] = "http://127.0.0.1:9/metrics"
    case_id = hide(api, media.base.replace("127.0.0.1", "localhost") + "/m/p-1.png")
    assert media.fetches == ["/m/p-1.png"]
    assert "127.0.0.1" in reason(api, case_id)


def test_a_listed_range_is_fetched(api: Api, media: MediaHost) -> None:
    allow(api, "127.0.0.0/8")
    url = media.put("/m/p-1.png", synthetic_png(2))
    case_id = hide(api, url)
    assert media.fetches == ["/m/p-1.png"]
    assert [e["data"]["action"] for e in events(api, case_id, "evidence")][-1] == "captured"
