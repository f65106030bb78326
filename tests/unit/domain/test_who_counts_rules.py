"""The rules of who counts as a reporter, and of the report budgets, without I/O."""

from __future__ import annotations

import pytest

from takedown.api.proxies import TrustedProxies
from takedown.domain.corroboration import ChildSafetyReport, Signal, agreeing_signal
from takedown.domain.report_budget import Budget, admission, budget_for
from takedown.domain.triage import triage_report
from takedown.domain.vocabulary import Category, ReporterRole


def test_no_trusted_proxy_means_the_peer_is_the_client() -> None:
    assert TrustedProxies.parse("").client("192.0.2.1", "198.51.100.9") == "192.0.2.1"


def test_a_trusted_proxy_names_the_rightmost_untrusted_hop() -> None:
    proxies = TrustedProxies.parse("10.0.0.0/8, 192.0.2.1")
    header = "198.51.100.1, 203.0.113.5, 10.0.0.2"
    assert proxies.client("192.0.2.1", header) == "203.0.113.5"
    # An untrusted peer's header is ignored whatever it says.
    assert proxies.client("203.0.113.9", header) == "203.0.113.9"


def test_one_client_has_one_spelling() -> None:
    proxies = TrustedProxies.parse("127.0.0.1")
    assert proxies.client("127.0.0.1", "::ffff:203.0.113.5") == "203.0.113.5"


def test_a_bad_proxy_entry_is_an_error_at_start() -> None:
    with pytest.raises(ValueError, match="not-an-address"):
        TrustedProxies.parse("10.0.0.0/8 not-an-address")


def test_child_safety_reports_have_their_own_budget() -> None:
    cse = triage_report(Category.CHILD_SEXUAL_EXPLOITATION, ReporterRole.THIRD_PARTY, False)
    spam = triage_report(Category.SPAM, ReporterRole.THIRD_PARTY, False)
    assert budget_for(cse) is Budget.CHILD_SAFETY
    assert budget_for(spam) is Budget.GENERAL


@pytest.mark.parametrize(
    ("role", "admitted", "held"),
    [
        (ReporterRole.DEPICTED_PERSON, True, True),
        (ReporterRole.PARENT_GUARDIAN, True, True),
        (ReporterRole.THIRD_PARTY, False, False),
    ],
)
def test_past_the_budget_only_the_child_or_guardian_gets_through(
    role: ReporterRole, admitted: bool, held: bool
) -> None:
    triage = triage_report(Category.CHILD_SEXUAL_EXPLOITATION, role, True)
    decision = admission(False, triage, role)
    assert (decision.admitted, decision.held_for_review) == (admitted, held)
    assert admission(True, triage, role).held_for_review is False


def test_past_the_budget_spam_from_a_depicted_person_is_refused() -> None:
    triage = triage_report(Category.SPAM, ReporterRole.DEPICTED_PERSON, False)
    assert admission(False, triage, ReporterRole.DEPICTED_PERSON).admitted is False


def test_one_reporter_alone_is_not_corroboration() -> None:
    one = ChildSafetyReport("k1", forwarded=False)
    assert agreeing_signal([one, one], bank_match=False, uploader_confirmed_before=False) is None


def test_two_reporters_agree_unless_one_is_forwarded_from_a_bad_account() -> None:
    a = ChildSafetyReport("k1", forwarded=False)
    good = ChildSafetyReport("k2", forwarded=True, account_in_good_standing=True)
    bad = ChildSafetyReport("k3", forwarded=True, account_in_good_standing=False)
    agreed = agreeing_signal([a, good], False, False)
    assert agreed is not None and agreed.signal is Signal.FORWARDED_IN_GOOD_STANDING
    assert agreed.by_reporters
    assert agreeing_signal([a, bad], False, False) is None
    second = agreeing_signal([a, ChildSafetyReport("k4", forwarded=False)], False, False)
    assert second is not None and second.signal is Signal.SECOND_REPORTER


def test_a_bank_match_or_the_uploaders_record_agrees_without_a_count() -> None:
    a = [ChildSafetyReport("k1", forwarded=False)]
    match = agreeing_signal(a, bank_match=True, uploader_confirmed_before=False)
    record = agreeing_signal(a, bank_match=False, uploader_confirmed_before=True)
    assert match is not None and match.signal is Signal.BANK_MATCH and not match.by_reporters
    assert record is not None and record.signal is Signal.UPLOADER_RECORD
