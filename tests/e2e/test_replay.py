"""Replaying the case behind this project (examples/scenarios/the_case.yaml) and two smaller
scenarios: the outcome the project promises, asserted on what both apps recorded.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from takedown.replay.engine import Run, replay
from takedown.replay.measures import Measures, measure
from takedown.replay.scenario import load_scenario
from takedown.replay.stage import CyberTipline
from tests.support.fake_cybertipline import FakeCyberTipline

SCENARIOS = Path(__file__).parents[2] / "examples" / "scenarios"


@pytest.fixture
def tipline() -> Iterator[FakeCyberTipline]:
    fake = FakeCyberTipline()
    yield fake
    fake.close()


def play(name: str, workdir: Path, tipline: FakeCyberTipline | None = None) -> tuple[Run, Measures]:
    scenario = load_scenario(SCENARIOS / name)
    target = CyberTipline(tipline.url, tipline.username, tipline.password) if tipline else None
    run = replay(scenario, workdir, cybertipline=target)
    try:
        return run, measure(run)
    finally:
        run.stage.close()


@pytest.fixture(scope="module")
def the_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, Measures, list]]:
    fake = FakeCyberTipline()
    try:
        run, measures = play("the_case.yaml", tmp_path_factory.mktemp("the_case"), fake)
        yield run, measures, fake.finished_reports()
    finally:
        fake.close()


def test_the_victims_report_hides_the_video_within_one_second(the_case) -> None:
    _run, m, _ = the_case
    assert m.key_report == "victim"
    assert m.takedown_state_at_report == "restricted"
    assert m.time_to_restriction is not None
    assert m.time_to_restriction <= timedelta(seconds=1)


def test_both_copies_are_removed_and_both_accounts_suspended(the_case) -> None:
    _run, m, _ = the_case
    assert m.posts == {"compilation-a": "removed", "compilation-b": "removed"}
    assert m.accounts == {"collector_one": "suspended", "collector_two": "suspended"}
    # The victim's confirmed case takes down every copy, not only the one he reported: the
    # second account's copy is gone within the hour, not when the third party's case is decided.
    assert m.removal["compilation-a"] is not None and m.removal["compilation-a"] < timedelta(
        hours=1
    )
    assert m.removal["compilation-b"] is not None and m.removal["compilation-b"] < timedelta(
        hours=1
    )


def test_the_cybertipline_report_is_filed(the_case) -> None:
    _run, m, finished = the_case
    assert m.filing_status == "accepted"
    assert m.time_to_filing is not None and m.time_to_filing < timedelta(hours=2)
    assert len(finished) >= 1


def test_ncmec_accepted_and_finished_the_report_naming_the_victims_account_with_the_video(
    the_case,
) -> None:
    """The sandbox validated every document against NCMEC's XSD: accepted and finished."""
    _run, _m, finished = the_case
    [filed] = [r for r in finished if r.xml.find("victim") is not None]
    assert filed.finished and not filed.retracted
    victim = filed.xml.find("victim")
    assert victim is not None
    assert [c.tag for c in victim] == ["victimPerson", "espIdentifier"]
    assert victim.findtext("espIdentifier") == "the_victim"
    reported = {p.findtext("espIdentifier") for p in filed.xml.findall("personOrUserReported")}
    assert reported == {"collector_one", "collector_two"}
    assert filed.files, "the video was not uploaded"
    for file in filed.files.values():
        assert file.data[4:8] == b"ftyp" or len(file.data) > 1000  # the video's own bytes
        assert file.details is not None
        hashes = {h.get("hashType"): h.text for h in file.details.findall("originalFileHash")}
        assert hashes["MD5"] == file.md5
        assert len(hashes["SHA256"]) == 64


def test_exposure_after_the_first_report_is_far_below_the_originals(the_case) -> None:
    run, m, _ = the_case
    assert m.original_exposure_after_first_report is not None
    assert m.original_exposure_after_first_report > 10_000
    assert m.exposure_after_first_report < m.original_exposure_after_first_report / 10
    # 150,000 views over the months were asked for; those before any report were served.
    assert sum(run.demand_asked.values()) == pytest.approx(150_000, abs=2)


def test_every_update_reaches_the_victims_status_page(the_case) -> None:
    _run, m, _ = the_case
    updates = " | ".join(m.status_updates["victim"])
    for expected in (
        "We received your report",
        "hidden from public view",
        "breaks the rules",
        # Both copies, in the reporter's words rather than the platform's ids.
        "The content you reported was removed from the platform",
        "A copy of the content you reported was removed from the platform",
        "account that posted it was suspended",
        "CyberTipline",
    ):
        assert expected in updates, f"missing on the status page: {expected!r}\n{updates}"
    status = m.status_states["victim"]
    assert status["content_state"] == "removed"
    assert status["decision"]["outcome"] == "violating"


def test_every_case_is_decided_within_its_deadline(the_case) -> None:
    _run, m, _ = the_case
    assert m.deadlines, "the reports opened no case"
    for case in m.deadlines:
        assert case.met is True, case


def test_webhooks_failing_for_a_while_delay_the_platform_but_lose_nothing(tmp_path: Path) -> None:
    _run, m = play("webhook_outage.yaml", tmp_path)
    # Takedown restricted at once; the platform heard of it only when its endpoint came back.
    assert m.takedown_state_at_report == "restricted"
    assert m.time_to_restriction is not None
    assert timedelta(minutes=39) <= m.time_to_restriction <= timedelta(minutes=45)
    assert m.posts["holiday-clip"] == "removed"
    assert m.accounts["stranger_42"] == "suspended"


def test_a_known_picture_is_blocked_and_a_dismissal_needs_two_people(tmp_path: Path) -> None:
    run, m = play("known_picture.yaml", tmp_path)
    assert m.posts["known-upload"] == "blocked"
    assert m.posts["sunset"] == "visible"
    first, second = run.decisions
    assert first["state"] == "pending_second_review"
    assert second["state"] == "decided"


def test_the_replay_command_prints_the_timeline_and_the_measures(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "takedown.cli.main",
            "replay",
            str(SCENARIOS / "webhook_outage.yaml"),
            "--json",
            str(tmp_path / "m.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "Timeline" in done.stdout and "Measures" in done.stdout
    assert "time to restriction on the platform" in done.stdout
    assert "restricted" in (tmp_path / "m.json").read_text()


def test_a_bad_scenario_is_refused_with_a_one_line_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("timeline:\n  - {at: soon, report: {}}\n")
    done = subprocess.run(
        [sys.executable, "-m", "takedown.cli.main", "replay", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "not a duration" in done.stderr


def test_the_replay_command_files_to_a_local_sandbox_when_no_cybertipline_is_set(
    tmp_path: Path,
) -> None:
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "takedown.cli.main",
            "replay",
            str(SCENARIOS / "the_case.yaml"),
            "--json",
            str(tmp_path / "m.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "a local sandbox" in done.stdout
    assert "The case was reported to NCMEC's CyberTipline" in done.stdout
    measures = (tmp_path / "m.json").read_text()
    assert "accepted" in measures
