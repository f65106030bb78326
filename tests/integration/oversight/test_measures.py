"""Each case carries its measures, stored and updated as its events are recorded."""

from __future__ import annotations

from datetime import timedelta

from takedown.clock import ManualClock
from takedown.domain.case_measures import CaseClock, Step, measure
from takedown.services import case_log, measures
from takedown.store.models import Case
from takedown.store.oversight import CaseMeasure
from tests.support.factories import Api
from tests.support.review import child_safety_case, decide


def _views(api: Api, content_id: str, views: object) -> int:
    response = api.client.patch(
        f"/v1/content/{content_id}", json={"views": views}, headers=api.key("platform")
    )
    return response.status_code


def test_a_csam_case_measures_each_step_from_the_first_report(api: Api, clock: ManualClock) -> None:
    api.register("p-1")
    _views(api, "p-1", 1000)  # seen before anyone reported it: not exposure after the report
    clock.advance(timedelta(minutes=5))
    out = child_safety_case(api, "p-1")  # registered again: idempotent; restricted at once
    case_id = out["case_id"]
    first = api.case(case_id)["measures"]
    assert first["report_to_restriction_s"] == 0.0
    assert first["report_to_decision_s"] is None
    assert first["deadline_met"] is None
    assert first["views_after_first_report"] == 0

    clock.advance(timedelta(minutes=10))
    _views(api, "p-1", 1040)  # hidden late on the platform's side: 40 more views
    clock.advance(timedelta(minutes=10))
    assert decide(api, case_id, "lead-1", "lead", "violating").status_code == 200
    api.runtime.worker.drain()  # the CyberTipline filing goes to the fake NCMEC

    m = api.case(case_id)["measures"]
    assert m["report_to_decision_s"] == 20 * 60
    assert m["report_to_removal_s"] == 20 * 60
    assert m["filing_delay_s"] == 20 * 60  # accepted in the same instant on the manual clock
    assert m["deadline_met"] is True
    assert m["take_it_down_met"] is None  # no signed depicted-person request: no Act clock
    assert m["views_after_first_report"] == 40


def test_a_missed_deadline_is_measured_within_one_sweep(api: Api, clock: ManualClock) -> None:
    api.register("p-2")
    out = api.report(content_id="p-2", category="harassment", reporter_role="third_party")
    clock.advance(timedelta(hours=24))
    api.runtime.worker.drain()
    m = api.case(out["case_id"])["measures"]
    assert m["deadline_met"] is False
    assert m["report_to_restriction_s"] is None
    clock.advance(timedelta(hours=2))
    assert decide(api, out["case_id"], "lead-1", "lead", "violating", "harassment").status_code
    late = api.case(out["case_id"])["measures"]
    assert late["deadline_met"] is False
    assert late["report_to_decision_s"] == 26 * 3600


def test_a_bad_view_count_changes_no_measure(api: Api, clock: ManualClock) -> None:
    out = child_safety_case(api, "p-3")
    assert _views(api, "p-3", 10) == 200
    clock.advance(timedelta(minutes=1))
    for bad in (-1, "many", 2.5):
        assert _views(api, "p-3", bad) == 422
    # Uploaded and reported in the same instant: all 10 views came after the report.
    assert api.case(out["case_id"])["measures"]["views_after_first_report"] == 10


def test_the_stored_measures_can_be_rebuilt_from_the_history(api: Api, clock: ManualClock) -> None:
    out = child_safety_case(api, "p-4")
    clock.advance(timedelta(minutes=3))
    decide(api, out["case_id"], "lead-1", "lead", "violating")
    rt = api.runtime
    with rt.transaction() as session:
        stored = session.get(CaseMeasure, out["case_id"])
        assert stored is not None
        before = (stored.report_to_decision_s, stored.deadline_met)
        session.delete(stored)
    with rt.transaction() as session:
        assert measures.rebuild(session, rt.clock.now()) >= 1
        again = session.get(CaseMeasure, out["case_id"])
        assert again is not None
        assert (again.report_to_decision_s, again.deadline_met) == before == (180.0, True)


def test_a_crowded_case_is_measured_from_part_of_its_history_as_from_all(
    api: Api, clock: ManualClock
) -> None:
    """Refreshed on every event, the measures read only the events they use (issue 15)."""
    api.register("p-5")
    _views(api, "p-5", 7)
    out = api.report(content_id="p-5", category="harassment", reporter_role="third_party")
    case_id = out["case_id"]
    for n in range(12):
        clock.advance(timedelta(minutes=1))
        api.forward(content_id="p-5", category="harassment", reporter_account_id=f"r-{n}")
    clock.advance(timedelta(minutes=5))
    _views(api, "p-5", 30)
    assert decide(api, case_id, "lead-1", "lead", "violating", "harassment").status_code == 200
    api.runtime.worker.drain()
    clock.advance(timedelta(minutes=1))
    api.forward(content_id="p-5", category="harassment", reporter_account_id="late")
    rt = api.runtime
    with rt.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        history = case_log.history(session, case_id)
        whole = measure(
            [Step(e.type, e.actor, e.at, dict(e.data or {})) for e in history],
            CaseClock(case.deadline_at, case.removal_due_at, case.removal_closed_at),
            rt.clock.now(),
            measures._view_series(session, case),
        )
        assert measures.compute(session, case, rt.clock.now()) == whole
        # Uploaded in the instant it was first reported: every view came after the report.
        assert whole.report_to_decision_s == 17 * 60 and whole.views_after_first_report == 30
        read = measures._measured_steps(session, case_id)
        assert len(read) < len(history) // 2, (len(read), len(history))
        stored = session.get(CaseMeasure, case_id)
        assert stored is not None and stored.report_to_decision_s == whole.report_to_decision_s
