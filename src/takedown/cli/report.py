"""`takedown report transparency --from --to --format csv|json`: the transparency report."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from takedown.cli.options import DatabaseUrl, DataDir, database_session, fail
from takedown.services.errors import ServiceError

report_app = typer.Typer(no_args_is_help=True, help="Reports for regulators and the public.")


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"


@report_app.command("transparency")
def transparency_command(
    first: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (UTC)."),
    last: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (UTC), included."),
    format: Format = typer.Option(Format.JSON, "--format", help="csv or json."),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Counts by category, source, action and decision maker; median times; deadlines met;
    appeals and reversals; NCMEC filings. CSV rows are `section,key,value`."""
    from takedown.services import transparency

    try:
        period = transparency.parse_period(first, last, transparency.today())
        with database_session(database_url, data_dir) as session:
            body = transparency.report(session, period)
    except ServiceError as exc:
        fail(exc.message)
    if format is Format.JSON:
        typer.echo(json.dumps(body, indent=2, sort_keys=True))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["section", "key", "value"])
    writer.writerows(transparency.report_rows(body))
