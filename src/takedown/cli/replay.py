"""`takedown replay SCENARIO.yaml`: play a scenario at accelerated time and print the measures."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import typer

from takedown.cli.options import fail
from takedown.replay.scenario import ScenarioError


def replay_command(
    scenario_file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    workdir: Path | None = typer.Option(
        None, "--workdir", help="Keep both apps' databases here; a temporary folder by default."
    ),
    cybertipline_url: str | None = typer.Option(
        None,
        "--cybertipline-url",
        envvar="TAKEDOWN_NCMEC_URL",
        help="File CyberTipline reports here; without it, to a local sandbox that sends nothing.",
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the measures as JSON."),
) -> None:
    """Replay a timeline of uploads, views, reports and decisions; print timeline and measures."""
    import logging
    import warnings

    # The in-process clients come from starlette's test client; its deprecation note is noise.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from takedown.cybertipline.sandbox import FakeCyberTipline
    from takedown.replay.engine import replay
    from takedown.replay.measures import measure
    from takedown.replay.rendering import render
    from takedown.replay.scenario import load_scenario
    from takedown.replay.stage import CyberTipline

    # Retries during a simulated outage are expected; keep the worker's warnings off the table.
    logging.getLogger("takedown.worker").setLevel(logging.ERROR)
    try:
        scenario = load_scenario(scenario_file)
    except ScenarioError as exc:
        fail(str(exc))
    sandbox = None
    if cybertipline_url:
        tipline = CyberTipline(cybertipline_url)
    else:
        # A replay shows the whole path to an accepted report without sending anything anywhere.
        sandbox = FakeCyberTipline()
        tipline = CyberTipline(sandbox.url, sandbox.username, sandbox.password)
        typer.echo(f"CyberTipline: a local sandbox at {sandbox.url} (nothing leaves this machine)")
    try:
        with tempfile.TemporaryDirectory(prefix="takedown-replay-") as scratch:
            folder = workdir or Path(scratch)
            try:
                run = replay(scenario, folder, cybertipline=tipline)
            except ScenarioError as exc:
                fail(str(exc))
            try:
                measures = measure(run)
                render(run, measures)
                if json_out:
                    json_out.write_text(json.dumps(measures.__dict__, default=str, indent=2))
            finally:
                run.stage.close()
    finally:
        if sandbox is not None:
            sandbox.close()
