"""The measures' pure rules: first report, hidden, decided, removed, deadlines, exposure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from takedown.domain.case_measures import CaseClock, Step, ViewSeries, measure, median, percentile
from takedown.domain.on_call import action_needed, roles_to_act

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_nearest_rank_percentiles_are_measured_values() -> None:
    values = [float(v) for v in range(1, 11)]
    assert (percentile(values, 50), percentile(values, 90), percentile(values, 99)) == (5, 9, 10)
    assert percentile([], 50) is None
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5


def test_a_block_match_removed_by_rule_is_automated_and_on_time() -> None:
    steps = [
        Step("match", "system", at(0), {"bank": "b"}),
        Step("action", "system", at(0), {"action": "removed"}),
    ]
    m = measure(steps, CaseClock(at(60)), at(120))
    assert m.automated and m.deadline_met is True
    assert (m.report_to_restriction_s, m.report_to_removal_s, m.report_to_decision_s) == (
        0.0,
        0.0,
        None,
    )


def test_undecided_past_the_deadline_is_missed_and_take_it_down_breaks() -> None:
    steps = [Step("report", "reporter:depicted_person", at(0), {})]
    m = measure(steps, CaseClock(at(60), removal_due_at=at(48 * 60)), at(49 * 60))
    assert m.deadline_met is False and m.take_it_down_met is False
    assert measure(steps, CaseClock(at(60)), at(30)).deadline_met is None


def test_exposure_counts_views_after_the_first_report_only() -> None:
    steps = [Step("report", "reporter:parent_guardian", at(10), {})]
    old = ViewSeries(at(-100), [(at(5), 100), (at(20), 160)])
    copy = ViewSeries(at(15), [(at(30), 7)])  # uploaded after the report: every view counts
    assert measure(steps, CaseClock(at(60)), at(40), [old, copy]).views_after_first_report == 67
    assert measure(steps, CaseClock(at(60)), at(40)).views_after_first_report is None


def test_on_call_names_roles_and_action() -> None:
    assert roles_to_act("leads, admins") == ["lead", "admin"]
    assert "decide it by X" in action_needed("halfway", "P0", "X")
    assert "CyberTipline" in action_needed("cybertipline_filing_gave_up", "P0", None)
