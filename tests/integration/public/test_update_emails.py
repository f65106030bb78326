"""Reporters who gave an address get the status page's updates by email, once each, through
the outbox and a real (local) SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select

from takedown.config import Settings
from takedown.domain.vocabulary import Outcome, Policy
from takedown.services.access import Principal, Role
from takedown.services.cases import get_case
from takedown.services.review import decide
from takedown.store.models import OutboxJob
from tests.support.factories import Api
from tests.support.public import SmtpCatcher


@pytest.fixture
def smtp() -> Iterator[SmtpCatcher]:
    catcher = SmtpCatcher()
    yield catcher
    catcher.close()


@pytest.fixture
def settings(settings: Settings, smtp: SmtpCatcher) -> Settings:
    return replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_from="t@example.org")


def _bodies(smtp: SmtpCatcher) -> list[str]:
    return [str(m.get_payload(decode=True).decode()) for m in smtp.messages]  # type: ignore[union-attr]


def test_each_update_is_emailed_once_in_the_status_pages_words(api: Api, smtp: SmtpCatcher) -> None:
    api.register("p-1", account_id="uploader-1")
    out = api.report(
        content_id="p-1",
        category="child_sexual_exploitation",
        reporter_role="parent_guardian",
        contact_email="parent@example.org",
    )
    api.runtime.worker.drain()
    api.runtime.worker.drain()
    assert [m["To"] for m in smtp.messages] == ["parent@example.org"] * 2
    assert all(m["From"] == "t@example.org" for m in smtp.messages)
    assert smtp.messages[0]["Subject"] == f"Update on your report {out['case_id']}"
    updates = [u["message"] for u in api.status(out["status_token"])["updates"]]
    bodies = _bodies(smtp)
    assert updates[0] in bodies[0] and "received your report" in bodies[0]
    assert "hidden from public view" in bodies[1]
    assert "&#39;" not in bodies[0] and "&amp;" not in " ".join(bodies)

    with api.runtime.transaction() as session:
        decide(
            session,
            get_case(session, out["case_id"]),
            Principal("rev-ana", Role.REVIEWER),
            Outcome.VIOLATING,
            Policy.CSAM,
            "sexual image of a child",
            api.runtime.clock.now(),
            without_media_reason="decided on the registered hashes",
        )
    api.runtime.worker.drain()
    bodies = _bodies(smtp)
    assert any("breaks the rules: sexual image of a child" in b for b in bodies)
    assert any("The content you reported was removed from the platform." in b for b in bodies)
    # Message ids are per (report, event): no two emails say the same step twice.
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids))
    shown = {u["message"] for u in api.status(out["status_token"])["updates"]}
    for body in bodies:
        assert any(message in body for message in shown), body


def test_no_address_means_no_email_and_other_reporters_are_told_of_a_new_report(
    api: Api, smtp: SmtpCatcher
) -> None:
    api.register("p-2")
    api.report(content_id="p-2", category="harassment", reporter_account_id="a")
    api.runtime.worker.drain()
    assert smtp.messages == []
    api.report(
        content_id="p-2",
        category="harassment",
        reporter_account_id="b",
        contact_email="b@example.org",
    )
    api.report(content_id="p-2", category="harassment", reporter_account_id="c")
    api.runtime.worker.drain()
    bodies = _bodies(smtp)
    assert [m["To"] for m in smtp.messages] == ["b@example.org"] * len(bodies)
    assert any("Someone else also reported this content" in b for b in bodies)


def test_each_reporter_hears_once_that_others_joined_and_of_every_other_step(
    api: Api, smtp: SmtpCatcher
) -> None:
    """On a viral item, the n-th report must not e-mail the n-1 reporters before it."""
    api.register("p-viral")
    for n in range(1, 7):
        api.forward(  # forwarded: each account is a reporter of its own
            content_id="p-viral",
            category="harassment",
            reporter_account_id=f"r{n}",
            contact_email=f"r{n}@example.org",
        )
    api.runtime.worker.drain()
    joined: dict[str, int] = {}
    for message, body in zip(smtp.messages, _bodies(smtp), strict=True):
        if "Someone else also reported this content" in body:
            joined[str(message["To"])] = joined.get(str(message["To"]), 0) + 1
    # Everyone but the last reporter heard once; the last has no one after them yet.
    assert joined == {f"r{n}@example.org": 1 for n in range(1, 6)}
    # A step of the case itself (the third reporter raised it) still reaches everyone so far.
    made_urgent = [
        str(m["To"])
        for m, b in zip(smtp.messages, _bodies(smtp), strict=True)
        if "made more urgent" in b
    ]
    assert sorted(made_urgent) == ["r1@example.org", "r2@example.org", "r3@example.org"]


def test_emails_wait_in_the_outbox_while_the_mail_server_is_down(
    api: Api, smtp: SmtpCatcher
) -> None:
    smtp.close()
    api.report(content_id="p-3", category="spam", contact_email="x@example.org")
    api.runtime.worker.drain()
    with api.runtime.transaction() as session:
        jobs = list(session.scalars(select(OutboxJob).where(OutboxJob.kind == "notify.email")))
    assert jobs and all(j.status == "pending" and j.attempts >= 1 for j in jobs)
    assert all(j.dedupe_key and j.dedupe_key.startswith("email:") for j in jobs)
