"""The options and helpers every `takedown` command shares: where the database and files are,
how a command fails, and a session on the local database.

Its own module so the command modules (banks, demo, ...) need not import `takedown.cli.main`,
which imports them to register their commands: under `python -m takedown.cli.main` that would
load main a second time, half-initialised.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from takedown.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DatabaseUrl = typer.Option(
    None,
    "--database-url",
    envvar="TAKEDOWN_DATABASE_URL",
    help="SQLAlchemy URL; SQLite by default.",
)
DataDir = typer.Option(
    None, "--data-dir", envvar="TAKEDOWN_DATA_DIR", help="Folder for files; ./takedown-data."
)


def fail(message: str) -> NoReturn:
    """End the command with exit status 1 and one line on stderr."""
    typer.echo(f"takedown: {message}", err=True)
    raise typer.Exit(1)


def settings_from(database_url: str | None, data_dir: Path | None) -> Settings:
    """The settings from the environment, with the command line's database and folder on top."""
    settings = Settings.from_env()
    changes: dict[str, object] = {}
    if database_url:
        changes["database_url"] = database_url
    if data_dir:
        changes["data_dir"] = data_dir
    return replace(settings, **changes)  # type: ignore[arg-type]


def database_session(
    database_url: str | None, data_dir: Path | None
) -> AbstractContextManager[Session]:
    """A transaction on the local database, its schema brought up to date first."""
    from takedown.store.database import make_engine, make_sessionmaker, transaction, upgrade

    settings = settings_from(database_url, data_dir).resolved()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return transaction(make_sessionmaker(engine))
