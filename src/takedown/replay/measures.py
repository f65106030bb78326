"""The numbers a replay is judged by, taken from what both apps recorded.

Measured on the platform side where the public is concerned (a post is hidden when the platform
stopped showing it, not when Takedown decided it should be), and from Takedown's case history
for decisions and filings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from takedown.replay.engine import Run, platform_log
from takedown.replay.scenario import Scenario

HIDDEN = ("restricted", "removed")


@dataclass(frozen=True)
class CaseDeadline:
    case_id: str
    priority: str
    state: str
    deadline_at: datetime
    decided_at: datetime | None
    content_ids: list[str]

    @property
    def met(self) -> bool | None:
        """True when decided in time, False when late or still undecided past the deadline."""
        if self.decided_at is not None:
            return self.decided_at <= self.deadline_at
        return None


@dataclass
class Measures:
    key_report: str | None
    key_report_at: datetime | None
    first_report_at: datetime | None
    takedown_state_at_report: str | None
    time_to_restriction: timedelta | None
    removal: dict[str, timedelta | None]
    time_to_filing: timedelta | None
    filing_status: str | None
    exposure_after_first_report: int
    original_exposure_after_first_report: int | None
    total_views: int
    accounts: dict[str, str]
    posts: dict[str, str]
    deadlines: list[CaseDeadline]
    status_updates: dict[str, list[str]]
    status_states: dict[str, dict[str, Any]]
    pending: list[str] = field(default_factory=list)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def original_exposure(scenario: Scenario, since: datetime) -> int | None:
    """Views the original platform served after `since`: the demand until it took them down."""
    until = scenario.original_removed_at
    if until is None:
        return None
    total = 0.0
    for d in scenario.demand:
        overlap = min(until, d.end) - max(since, d.start)
        if overlap > timedelta(0) and d.end > d.start:
            total += d.views * (overlap / (d.end - d.start))
    return round(total)


def measure(run: Run) -> Measures:
    stage, scenario = run.stage, run.scenario
    log = platform_log(stage)
    filed = [r for r in run.reports.values() if r.response is not None]
    key = scenario.measure_from or next(
        (r.label for r in filed if r.response and r.response["content_state"] in HIDDEN),
        filed[0].label if filed else None,
    )
    receipt = run.reports.get(key) if key else None
    key_at = receipt.at if receipt else None
    first_at = min((r.at for r in run.reports.values()), default=None)

    hidden_at: dict[str, datetime] = {}
    removed_at: dict[str, datetime] = {}
    for change in log["changes"]:
        if change["subject"] != "post":
            continue
        at = _time(change["at"])
        if change["state"] in HIDDEN:
            hidden_at.setdefault(change["id"], at)
        if change["state"] == "removed":
            removed_at.setdefault(change["id"], at)

    to_restriction = None
    if receipt is not None and receipt.post in hidden_at and key_at is not None:
        to_restriction = max(timedelta(0), hidden_at[receipt.post] - key_at)

    posts = {p["id"]: p["state"] for p in stage.platform_http.get("/api/posts").json()["posts"]}
    removal = {
        post: (removed_at[post] - key_at if post in removed_at and key_at else None)
        for post in posts
    }
    exposure = sum(
        v["served"] for v in log["views"] if first_at is not None and _time(v["at"]) >= first_at
    )
    total = sum(v["served"] for v in log["views"])
    accounts = {
        name: stage.platform_http.get(f"/api/accounts/{name}").json().get("state", "?")
        for name in sorted({s.args["account"] for s in scenario.steps if s.kind == "post"})
    }

    deadlines: list[CaseDeadline] = []
    filing_at: datetime | None = None
    filing_status: str | None = None
    for case_id in dict.fromkeys(r.response["case_id"] for r in filed if r.response):
        case = stage.get(f"/v1/cases/{case_id}")
        if case is None:
            continue
        deadlines.append(
            CaseDeadline(
                case_id=case_id,
                priority=case["priority"],
                state=case["state"],
                deadline_at=_time(case["deadline_at"]),
                decided_at=_time(case["decided_at"]) if case.get("decided_at") else None,
                content_ids=list(case.get("content_ids", [])),
            )
        )
        for event in case.get("events", []):
            if event["type"] != "file":
                continue
            status = event["data"].get("status")
            if filing_status != "accepted":
                filing_status = status  # the latest, unless it was accepted at some point
            if status == "accepted" and filing_at is None:
                filing_at = _time(event["at"])

    updates: dict[str, list[str]] = {}
    states: dict[str, dict[str, Any]] = {}
    for receipt_ in filed:
        assert receipt_.response is not None
        status = stage.takedown.get(f"/v1/status/{receipt_.response['status_token']}")
        if status.status_code == 200:
            body = status.json()
            updates[receipt_.label] = [u["message"] for u in body["updates"]]
            states[receipt_.label] = body

    pending = list(dict.fromkeys(run.pending))
    if filing_status is None:
        pending.append("CyberTipline filing (issue 5): no filing on any case")
    return Measures(
        key_report=key,
        key_report_at=key_at,
        first_report_at=first_at,
        takedown_state_at_report=(
            receipt.response["content_state"] if receipt and receipt.response else None
        ),
        time_to_restriction=to_restriction,
        removal=removal,
        time_to_filing=(filing_at - key_at) if filing_at and key_at else None,
        filing_status=filing_status,
        exposure_after_first_report=exposure,
        original_exposure_after_first_report=(
            original_exposure(scenario, first_at) if first_at else None
        ),
        total_views=total,
        accounts=accounts,
        posts=posts,
        deadlines=deadlines,
        status_updates=updates,
        status_states=states,
        pending=pending,
    )
