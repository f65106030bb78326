"""A replayed set of cases at accelerated time: the dashboard's percentiles, the transparency
report (API and CLI) and /metrics agree with figures this test computes on its own."""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import numpy
from typer.testing import CliRunner

from takedown.cli.main import app as cli
from takedown.clock import ManualClock
from tests.support.factories import Api
from tests.support.review import decide, staff_user
from tests.support.staff_web import sign_in

PERIOD = "from=2026-01-01&to=2026-01-31"
# category, reporter role, priority, policy, decision deadline in minutes
KINDS = [
    ("child_sexual_exploitation", "parent_guardian", "P0", "csam", 60),
    ("harassment", "third_party", "P2", "harassment", 1440),
    ("spam", "third_party", "P3", "spam", 4320),
]


@dataclass
class Expected:
    priority: str
    category: str
    restriction_s: float | None
    decision_s: float | None
    deadline_met: bool | None


def replay(api: Api, clock: ManualClock, n: int = 24) -> list[Expected]:
    """Cases one after another; each decided after a random delay (some past its deadline);
    then two harassment cases nobody decides, swept past their deadline."""
    rng = random.Random(14)
    out = []
    for i in range(n):
        category, role, priority, policy, window = KINDS[i % len(KINDS)]
        minutes = rng.randint(1, window * 2 if priority != "P3" else 600)
        api.register(f"p-{i}", f"acct-{i}")
        case = api.report(
            content_id=f"p-{i}", category=category, reporter_role=role, depicts_minor=True
        )
        assert case["priority"] == priority
        clock.advance(timedelta(minutes=minutes))
        assert decide(api, case["case_id"], "lead-1", "lead", "violating", policy).status_code
        seconds = minutes * 60.0
        out.append(
            Expected(
                priority,
                category,
                0.0 if priority == "P0" else seconds,
                seconds,
                minutes <= window,
            )
        )
        clock.advance(timedelta(minutes=rng.randint(0, 30)))
    for j in range(2):
        api.register(f"late-{j}", f"acct-late-{j}")
        api.report(content_id=f"late-{j}", category="harassment", reporter_role="third_party")
        out.append(Expected("P2", "harassment", None, None, False))
    clock.advance(timedelta(hours=24, minutes=1))
    api.runtime.worker.drain()  # one sweep: both are breached
    return out


def nearest_rank(values: list[float], p: int) -> float:
    return float(numpy.percentile(values, p, method="inverted_cdf"))


def test_figures_agree_everywhere(api: Api, clock: ManualClock) -> None:
    expected = replay(api, clock)
    # The seed gives P0 and P2 cases on both sides of their deadlines.
    for priority in ("P0", "P2"):
        assert {e.deadline_met for e in expected if e.priority == priority} == {True, False}
    decisions = [e.decision_s for e in expected if e.decision_s is not None]
    restrictions = [e.restriction_s for e in expected if e.restriction_s is not None]

    # -- the dashboard's percentiles ---------------------------------------------------------
    staff_user(api, "lead-2", "lead")
    sign_in(api.client, "lead-2")
    page = api.client.get(f"/staff/dashboard?{PERIOD}")
    assert page.status_code == 200, page.text
    for measure, values in (
        ("report_to_decision_s", decisions),
        ("report_to_restriction_s", restrictions),
        ("report_to_removal_s", decisions),
    ):
        row = re.search(rf'data-measure="{measure}">(.*?)</tr>', page.text, re.S)
        assert row, measure
        shown = dict(re.findall(r'data-p="(\d+)" data-seconds="([^"]*)"', row.group(1)))
        assert {int(p): float(v) for p, v in shown.items()} == {
            p: nearest_rank(values, p) for p in (50, 90, 99)
        }, measure
    # The chart draws the same figures.
    bars = re.findall(
        r'<g class="bar" data-group="Report → decision[^"]*" data-series="p(\d+)" '
        r'data-value="([^"]*)"',
        page.text,
    )
    assert {int(p): float(v) for p, v in bars} == {
        p: nearest_rank(decisions, p) for p in (50, 90, 99)
    }

    # -- deadlines per priority and the breach list -----------------------------------------
    for priority in ("P0", "P2", "P3"):
        mine = [e for e in expected if e.priority == priority]
        met = sum(e.deadline_met is True for e in mine)
        missed = sum(e.deadline_met is False for e in mine)
        row = re.search(
            rf'<tr data-priority="{priority}"><td>{priority}</td><td class="met">'
            rf"(\d+)</td><td class=\"missed\">(\d+)</td>",
            page.text,
        )
        assert row and (int(row.group(1)), int(row.group(2))) == (met, missed), priority
    breached = re.findall(r'<details class="breach" data-case="([^"]+)"', page.text)
    assert len(breached) == 2
    assert page.text.count("<strong>breach</strong>") == 2  # each timeline shows its breach

    # -- the transparency report, by the API and by the command line ------------------------
    report = api.client.get(f"/v1/transparency/report?{PERIOD}", headers=api.key("legal")).json()
    assert report["cases"] == len(expected)
    assert report["median_seconds"]["report_to_decision_s"] == statistics.median(decisions)
    assert report["median_seconds"]["report_to_restriction_s"] == statistics.median(restrictions)
    assert report["by_category"] == dict(sorted(Counter(e.category for e in expected).items()))
    # A P0 case is hidden by rule, then removed and its account suspended by a person; the
    # others are removed by a person (one strike each: no suspension).
    decided = Counter(e.priority for e in expected if e.decision_s is not None)
    assert report["by_decision_maker"] == {
        "automated": decided["P0"],
        "human": 2 * decided["P0"] + decided["P2"] + decided["P3"],
    }
    for priority in ("P0", "P2", "P3"):
        mine = [e for e in expected if e.priority == priority]
        assert report["deadlines"][priority]["met"] == sum(e.deadline_met is True for e in mine)
        assert report["deadlines"][priority]["missed"] == sum(e.deadline_met is False for e in mine)
    run = CliRunner().invoke(
        cli,
        [
            "report",
            "transparency",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--format",
            "json",
            "--database-url",
            api.runtime.settings.database_url,
        ],
    )
    assert run.exit_code == 0, run.output
    assert json.loads(run.output) == report
    as_csv = CliRunner().invoke(
        cli,
        [
            "report",
            "transparency",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--format",
            "csv",
            "--database-url",
            api.runtime.settings.database_url,
        ],
    )
    assert as_csv.exit_code == 0, as_csv.output
    assert f"median_seconds,report_to_decision_s,{statistics.median(decisions)}" in as_csv.output

    # -- /metrics: the breaches and the histograms ------------------------------------------
    metrics = api.client.get("/metrics", headers=api.key("admin")).text
    assert "takedown_cases_breached 2.0" in metrics
    assert f"takedown_case_report_to_decision_seconds_count {float(len(decisions))}" in metrics
    hour = sum(d <= 3600 for d in decisions)
    assert f'takedown_case_report_to_decision_seconds_bucket{{le="3600"}} {float(hour)}' in metrics
    missed_p2 = sum(e.deadline_met is False for e in expected if e.priority == "P2")
    assert f'takedown_case_deadlines{{priority="P2",result="missed"}} {float(missed_p2)}' in metrics
