"""The public form's token: bound to the address that loaded the form, signed, expiring."""

from __future__ import annotations

from takedown.web.public import form_token


def test_a_token_is_valid_only_for_the_address_that_loaded_the_form() -> None:
    token = form_token.issue("secret", "203.0.113.7")
    assert form_token.is_valid("secret", token, "203.0.113.7")
    assert not form_token.is_valid("secret", token, "198.51.100.1")


def test_a_token_signed_with_another_secret_or_tampered_is_refused() -> None:
    token = form_token.issue("secret", "203.0.113.7")
    assert not form_token.is_valid("other-secret", token, "203.0.113.7")
    assert not form_token.is_valid("secret", token[:-2] + "xx", "203.0.113.7")
    assert not form_token.is_valid("secret", "", "203.0.113.7")


def test_an_expired_token_is_refused() -> None:
    token = form_token.issue("secret", "203.0.113.7")
    assert not form_token.is_valid("secret", token, "203.0.113.7", max_age=-1)


def test_only_a_foreign_origin_is_refused() -> None:
    ours = {"https://takedown.example"}
    assert form_token.same_origin(None, ours)
    assert form_token.same_origin("null", ours)
    assert form_token.same_origin("https://takedown.example", ours)
    assert not form_token.same_origin("https://evil.example", ours)
