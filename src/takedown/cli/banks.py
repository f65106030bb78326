"""`takedown bank create|import|export|list` and `takedown scan DIR --bank NAME`.

For analysts working against the local database (`--database-url` / TAKEDOWN_DATABASE_URL),
like the other commands. `scan` hashes files on this machine and sends nothing anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from takedown.cli.options import DatabaseUrl, DataDir, database_session, fail, settings_from
from takedown.clock import SystemClock
from takedown.services.errors import ServiceError

bank_app: typer.Typer = typer.Typer(no_args_is_help=True, help="Banks of known hashes.")
ACTOR = "cli"


@bank_app.command("create")
def bank_create(
    name: str,
    action: str = typer.Option(..., "--action", help="block, hold or review"),
    child_safety: bool = typer.Option(
        False, "--child-safety/--no-child-safety", help="A match opens a P0 case and hides."
    ),
    description: str = typer.Option("", "--description"),
    pdq_threshold: int | None = typer.Option(None, "--pdq-threshold"),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Create a bank."""
    from takedown.services import banks

    try:
        with database_session(database_url, data_dir) as session:
            banks.create_bank(
                session,
                name,
                action,
                child_safety,
                description or None,
                ACTOR,
                SystemClock().now(),
                pdq_threshold,
            )
    except ServiceError as exc:
        fail(exc.message)
    typer.echo(f"created bank {name} (action {action}, child safety {child_safety})")


@bank_app.command("import")
def bank_import(
    name: str,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Add the hashes of a CSV file (signal,value[,note]); a bad row refuses the whole file."""
    from takedown.services import banks

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail("the CSV must be UTF-8 text")
    try:
        entries = banks.parse_csv_hashes(text)
        with database_session(database_url, data_dir) as session:
            bank = banks.get_bank(session, name)
            result = banks.add_hashes(session, bank, entries, ACTOR, SystemClock().now())
    except ServiceError as exc:
        fail(exc.message)
    typer.echo(
        f"added {result.added} hashes to {name} ({result.duplicates} already there); "
        "a running worker scans stored content for them"
    )


@bank_app.command("export")
def bank_export(
    name: str,
    file: Path | None = typer.Argument(None, dir_okay=False, help="Standard output if absent."),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Write the bank as CSV (signal,value,note)."""
    from takedown.services import banks

    try:
        with database_session(database_url, data_dir) as session:
            text = banks.export_csv(session, banks.get_bank(session, name))
    except ServiceError as exc:
        fail(exc.message)
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {file}", err=True)


@bank_app.command("list")
def bank_list(database_url: str | None = DatabaseUrl, data_dir: Path | None = DataDir) -> None:
    """The banks, their action and how many hashes each holds."""
    from takedown.services import banks

    with database_session(database_url, data_dir) as session:
        rows = banks.list_banks(session)
        table = Table("name", "action", "child safety", "pdq threshold", "hashes", "description")
        for bank, count in rows:
            table.add_row(
                bank.name,
                bank.action,
                "yes" if bank.child_safety else "no",
                str(bank.pdq_threshold) if bank.pdq_threshold is not None else "default",
                str(count),
                bank.description or "",
            )
    Console().print(table)


def scan_command(
    folder: Path = typer.Argument(..., exists=True, file_okay=False),
    bank: str = typer.Option(..., "--bank", help="The bank to match against."),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Hash every file in a folder and list the ones matching a bank. Sends nothing."""
    from takedown.services import banks
    from takedown.services.match_index import Matcher, MediaQuery
    from takedown.signals.hashing import hash_media
    from takedown.signals.media import MediaRejected

    settings = settings_from(database_url, data_dir).resolved()
    matcher = Matcher(settings.pdq_threshold, settings.pdq_quality_min)
    try:
        with database_session(database_url, data_dir) as session:
            banks.get_bank(session, bank)
            matcher.refresh(session)
    except ServiceError as exc:
        fail(exc.message)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    found: list[tuple[str, str, str, int]] = []
    refused: list[tuple[str, str]] = []
    console = Console(stderr=True)
    with Progress(
        TextColumn("hashing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("hashing", total=len(files))
        for path in files:
            try:
                signals = hash_media(path.read_bytes())
            except MediaRejected as exc:
                refused.append((str(path.relative_to(folder)), exc.message))
            else:
                query = MediaQuery.of(signals.rows())
                for match in matcher.match_banks(query):
                    if match.entry.bank == bank:
                        name = str(path.relative_to(folder))
                        found.append(
                            (name, match.signal, match.closeness.describe(), match.entry.hash_id)
                        )
            progress.advance(task)
    table = Table("file", "signal", "closeness", title=f"matches in bank {bank}")
    with database_session(database_url, data_dir) as session:
        retired = banks.retired_hash_ids(session, [hash_id for *_, hash_id in found])
    found = [row for row in found if row[3] not in retired]
    for name, signal, distance, _ in found:
        table.add_row(name, signal, distance)
    Console().print(table)
    for name, reason in refused:
        console.print(f"skipped {name}: {reason}")
    typer.echo(f"{len(files)} files hashed, {len(found)} matches, {len(refused)} skipped")
