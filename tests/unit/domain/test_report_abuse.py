"""A burst of new anonymous reporters cannot hide content on its own (domain.report_abuse)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from takedown.domain.report_abuse import (
    BurstPolicy,
    ReporterSighting,
    is_burst,
    new_reporters_in_burst,
    restriction_after_report,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = BurstPolicy()


def sighting(key: str, minutes_ago: float, known_days: float = 0, anonymous: bool = True):
    at = NOW - timedelta(minutes=minutes_ago)
    return ReporterSighting(key, at, at - timedelta(days=known_days), anonymous)


def test_three_new_anonymous_reporters_within_minutes_are_a_burst() -> None:
    sightings = [sighting("a", 10), sighting("b", 5), sighting("c", 0)]
    assert new_reporters_in_burst(sightings, NOW, POLICY) == 3
    assert is_burst(sightings, NOW, POLICY)


def test_the_same_reporter_twice_counts_once() -> None:
    assert not is_burst([sighting("a", 3), sighting("a", 1), sighting("b", 0)], NOW, POLICY)


def test_reporters_known_for_longer_or_with_accounts_are_not_a_burst() -> None:
    assert not is_burst(
        [sighting("a", 2, known_days=30), sighting("b", 1), sighting("c", 0)], NOW, POLICY
    )
    assert not is_burst(
        [sighting("a", 2, anonymous=False), sighting("b", 1), sighting("c", 0)], NOW, POLICY
    )


def test_reports_spread_beyond_the_window_are_not_a_burst() -> None:
    assert not is_burst([sighting("a", 60), sighting("b", 30), sighting("c", 0)], NOW, POLICY)


def test_a_burst_withholds_only_a_restriction_that_comes_from_counting() -> None:
    held = restriction_after_report(False, False, raised_to_p0_by_count=True, burst=True)
    assert (held.restrict, held.withheld) == (False, True)
    counted = restriction_after_report(False, False, raised_to_p0_by_count=True, burst=False)
    assert (counted.restrict, counted.withheld) == (True, False)


def test_a_victims_own_report_restricts_even_during_a_burst() -> None:
    call = restriction_after_report(True, False, raised_to_p0_by_count=True, burst=True)
    assert (call.restrict, call.withheld) == (True, False)
    already = restriction_after_report(False, True, raised_to_p0_by_count=False, burst=True)
    assert already.restrict
