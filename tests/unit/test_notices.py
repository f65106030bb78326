"""The update e-mail's words: plain text from the catalogue template, outside the web layer."""

from __future__ import annotations

from datetime import UTC, datetime

from takedown.notices.emails import compose_update


def test_an_update_email_names_the_case_and_the_time_with_its_zone() -> None:
    at = datetime(2026, 3, 4, 17, 5, tzinfo=UTC)
    subject, body = compose_update("case_abc", at, "The content you reported was removed.")
    assert subject == "Update on your report case_abc"
    assert "(case reference case_abc)" in body
    assert "17:05 UTC, 4 March 2026: The content you reported was removed." in body


def test_an_update_email_is_plain_text_not_escaped_html() -> None:
    _, body = compose_update("case_abc", datetime(2026, 3, 4, tzinfo=UTC), "It's <gone> & done")
    assert "It's <gone> & done" in body
    assert "&lt;" not in body and "&#39;" not in body
