"""`takedown exchange add|list|fetch|status`: hash exchanges from the command line, over the
same configuration as `/hma/c/exchanges` (API.md, "Hash exchanges")."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from takedown.cli.options import DatabaseUrl, DataDir, database_session, fail, settings_from
from takedown.clock import SystemClock

exchange_app: typer.Typer = typer.Typer(no_args_is_help=True, help="Hash exchanges.")
ACTOR = "cli"


def _json_object(text: str, what: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        fail(f"{what} is not JSON")
    if not isinstance(value, dict):
        fail(f"{what} must be a JSON object")
    return value


@exchange_app.command("add")
def exchange_add(
    name: str = typer.Argument(..., help="The exchange and its bank, UPPER_WITH_UNDERSCORES"),
    api: str = typer.Option(..., "--api", help="ncmec, stop_ncii, fb_threatexchange, local_file"),
    config: str = typer.Option("{}", "--config", help="The API's settings, as JSON"),
    credentials: str = typer.Option(
        "", "--credentials", help="The API's credentials, as JSON (kept for every exchange of it)"
    ),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Configure an exchange; it fills the bank of the same name."""
    from takedown.hma import exchanges
    from takedown.hma.errors import HmaError

    body = {"bank": name, "api": api, "api_json": _json_object(config, "--config")}
    now = SystemClock().now()
    try:
        with database_session(database_url, data_dir) as session:
            if credentials:
                creds = {"credential_json": _json_object(credentials, "--credentials")}
                exchanges.set_credentials(session, api, creds, now)
            exchanges.create_exchange(session, body, ACTOR, now)
    except HmaError as exc:
        fail(str(exc))
    typer.echo(f"added exchange {name} ({api}); it fills bank {name}")


@exchange_app.command("list")
def exchange_list(database_url: str | None = DatabaseUrl, data_dir: Path | None = DataDir) -> None:
    """The configured exchanges."""
    from takedown.exchanges.health import all_health

    with database_session(database_url, data_dir) as session:
        for h in all_health(session):
            state = "enabled" if h.enabled else "disabled"
            typer.echo(f"{h.name}\t{h.api}\t{state}\t{h.items} items")


@exchange_app.command("fetch")
def exchange_fetch(
    name: str,
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Fetch one exchange now, from its checkpoint to the end."""
    from takedown.exchanges.fetch import fetch_exchange
    from takedown.services.errors import ServiceError
    from takedown.store.database import make_engine, make_sessionmaker, upgrade

    settings = settings_from(database_url, data_dir).resolved()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        outcome = fetch_exchange(
            make_sessionmaker(engine), name, settings, SystemClock(), max_pages=None
        )
    except ServiceError as exc:
        fail(exc.message)
    finally:
        engine.dispose()
    if not outcome.succeeded:
        fail(f"fetch of {name} failed after {outcome.pages} pages: {outcome.error}")
    typer.echo(f"fetched {name}: {outcome.pages} pages, {outcome.items} records")


@exchange_app.command("status")
def exchange_status(
    name: str | None = typer.Argument(None),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Each exchange's health, as JSON (one exchange when named)."""
    from takedown.exchanges.health import all_health

    now = SystemClock().now()
    with database_session(database_url, data_dir) as session:
        found = {h.name: h.as_json(now) for h in all_health(session)}
    if name is not None:
        if name not in found:
            fail(f"no exchange named {name!r}")
        found = {name: found[name]}
    typer.echo(json.dumps(found, indent=2, sort_keys=True))
