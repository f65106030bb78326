"""Evidence retention and the TAKE IT DOWN Act's request rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from takedown.domain.retention import CaseStanding, RetentionPolicy, retain_until
from takedown.domain.take_it_down import ClockStage, clock_stage, is_removal_request
from takedown.domain.vocabulary import Category, ReporterRole

T = datetime(2026, 1, 1, tzinfo=UTC)


def test_undecided_or_unfiled_cases_keep_evidence_open_ended() -> None:
    policy = RetentionPolicy()
    assert retain_until([CaseStanding(None, False, None)], policy) is None
    assert retain_until([CaseStanding(T, True, None)], policy) is None


def test_a_filing_keeps_evidence_a_year_and_the_minimum_cannot_be_lowered() -> None:
    policy = RetentionPolicy(after_filing=timedelta(days=30))
    assert policy.after_filing == timedelta(days=365)
    filed = T + timedelta(days=1)
    assert retain_until([CaseStanding(T, True, filed)], policy) == filed + timedelta(days=365)


def test_the_longest_case_wins() -> None:
    policy = RetentionPolicy(after_decision=timedelta(days=90))
    cases = [CaseStanding(T, False, None), CaseStanding(T, True, T)]
    assert retain_until(cases, policy) == T + timedelta(days=365)


def test_a_removal_request_needs_the_person_the_statement_and_the_signature() -> None:
    ncii = Category.NON_CONSENSUAL_INTIMATE_IMAGERY
    assert is_removal_request(ncii, ReporterRole.DEPICTED_PERSON, True, "JD")
    assert is_removal_request(ncii, ReporterRole.PARENT_GUARDIAN, True, "Jane Doe")
    assert not is_removal_request(ncii, ReporterRole.DEPICTED_PERSON, False, "JD")
    assert not is_removal_request(ncii, ReporterRole.DEPICTED_PERSON, True, "  ")
    assert not is_removal_request(ncii, ReporterRole.THIRD_PARTY, True, "JD")
    assert not is_removal_request(Category.SPAM, ReporterRole.DEPICTED_PERSON, True, "JD")


def test_the_clock_is_raised_at_half_time_and_breached_at_48_hours() -> None:
    window = timedelta(hours=48)
    due = T + window
    assert clock_stage(due, window, T + timedelta(hours=23)) is ClockStage.RUNNING
    assert clock_stage(due, window, T + timedelta(hours=24)) is ClockStage.HALFWAY
    assert clock_stage(due, window, due) is ClockStage.BREACHED
