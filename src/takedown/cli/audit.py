"""`takedown audit verify`: check every case's event chain and the staff audit log.

Read-only: it does not migrate the database first (an old schema is an error to fix with
`takedown db upgrade`), so an auditor can run it against a copy or a replica.
"""

from __future__ import annotations

from pathlib import Path

import typer

from takedown.cli.options import DatabaseUrl, DataDir, fail, settings_from

audit_app: typer.Typer = typer.Typer(no_args_is_help=True, help="The tamper-evident audit trail.")


@audit_app.command("verify")
def audit_verify(database_url: str | None = DatabaseUrl, data_dir: Path | None = DataDir) -> None:
    """Exit 0 when every chain is intact; 1 naming the first broken event of each chain."""
    from sqlalchemy.exc import SQLAlchemyError

    from takedown.services.audit_verify import verify
    from takedown.store.database import make_engine, make_sessionmaker, transaction

    settings = settings_from(database_url, data_dir).resolved()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            report = verify(session)
    except SQLAlchemyError as exc:
        fail(f"could not read the database ({type(exc).__name__}); is it upgraded? {exc}")
    finally:
        engine.dispose()
    for broken in report.breaks or []:
        typer.echo(f"BROKEN {broken.describe()}", err=True)
    summary = (
        f"{report.cases} cases, {report.events} events, {report.audit_entries} audit entries; "
        f"{report.rebuilt} cases rebuilt from their events"
    )
    if not report.intact:
        fail(f"the audit trail is broken ({len(report.breaks or [])} chains); {summary}")
    typer.echo(f"audit trail intact: {summary}")
