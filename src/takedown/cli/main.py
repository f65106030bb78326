"""`takedown`: serve, worker, db, users, keys. Exit 0 on success; otherwise one line on stderr."""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import replace
from pathlib import Path

import typer

from takedown.cli.options import DatabaseUrl, DataDir, database_session, fail, settings_from
from takedown.clock import SystemClock
from takedown.services.errors import ServiceError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Takedown: notice and takedown.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
users_app = typer.Typer(no_args_is_help=True, help="Staff accounts for the web pages.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")


# uvicorn's logging with each line's process id, so a log shows which process served what.
def _log_config() -> dict[str, object]:
    from copy import deepcopy

    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"]["fmt"] = "%(levelprefix)s [%(process)d] %(message)s"
    config["formatters"]["access"]["fmt"] = (
        '%(levelprefix)s [%(process)d] %(client_addr)s - "%(request_line)s" %(status_code)s'
    )
    return config


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", envvar="TAKEDOWN_HOST"),
    port: int = typer.Option(8000, envvar="TAKEDOWN_PORT"),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
    worker: bool = typer.Option(True, "--worker/--no-worker", help="Run the in-process worker."),
    processes: int = typer.Option(
        1,
        "--processes",
        min=1,
        envvar="TAKEDOWN_PROCESSES",
        help="API processes on the port; above 1 the worker runs in a process of its own.",
    ),
) -> None:
    """Run the API, the web pages and a worker (in-process, or its own process with --processes)."""
    import uvicorn

    from takedown.app import build_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if processes > 1:
        from takedown.cli.serving import serve_processes

        try:
            serve_processes(
                settings_from(database_url, data_dir), host, port, processes, worker, _log_config()
            )
        except Exception as exc:
            fail(f"cannot start: {exc}")
        return
    from takedown.signals.index import load_compiled

    load_compiled()  # before the port opens, as each process of --processes does (cli.serving)
    settings = settings_from(database_url, data_dir)
    try:
        application = build_app(settings, SystemClock(), worker)
    except Exception as exc:
        fail(f"cannot start: {exc}")
    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1; Takedown reads
    # it itself, from TAKEDOWN_TRUSTED_PROXIES only (api.proxies).
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="info",
        access_log=settings.access_log,
        proxy_headers=False,
    )


@app.command("worker")
def worker_command(
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        min=1,
        max=64,
        help="Jobs run at once per queue (TAKEDOWN_WORKER_CONCURRENCY, default 2); the webhooks"
        " queue has at least 8, room for four endpoints at their limit of 2.",
    ),
) -> None:
    """Run a worker alone, taking outbox jobs from the shared database, or from the broker
    when TAKEDOWN_BROKER_URL is set."""
    from takedown.runtime import Runtime

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = settings_from(database_url, data_dir)
    if concurrency is not None:
        settings = replace(settings, worker_concurrency=concurrency)
    rt = Runtime.build(settings, SystemClock())
    rt.worker.release_orphaned_leases()
    signal.signal(signal.SIGTERM, lambda *_: rt.worker.stop())
    s = rt.settings
    try:
        if s.broker_url:
            from takedown.outbox.broker import BrokerUrlInvalid, run_worker

            try:
                run_worker(
                    rt.worker,
                    s.broker_url,
                    s.broker_namespace,
                    s.worker_concurrency,
                    s.worker_poll_seconds,
                    s.sweep_interval_seconds,
                )
            except BrokerUrlInvalid as exc:
                fail(str(exc))
        else:
            rt.worker.run_forever(
                s.worker_poll_seconds, s.sweep_interval_seconds, s.worker_concurrency
            )
    except KeyboardInterrupt:
        pass
    finally:
        rt.close()


@db_app.command("upgrade")
def db_upgrade(database_url: str | None = DatabaseUrl, data_dir: Path | None = DataDir) -> None:
    """Bring the database schema up to date."""
    from takedown.store.database import make_engine, upgrade

    settings = settings_from(database_url, data_dir).resolved()
    try:
        upgrade(make_engine(settings.database_url))
    except Exception as exc:
        fail(f"migration failed: {exc}")
    typer.echo("database is up to date")


@users_app.command("create")
def users_create(
    name: str,
    role: str = typer.Option(..., "--role"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin."
    ),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Create a staff member who logs in to the web pages."""
    from takedown.services.access import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with database_session(database_url, data_dir) as session:
            create_user(session, name, role, password, SystemClock().now())
    except ServiceError as exc:
        fail(exc.message)
    typer.echo(f"created {role} {name}")


@users_app.command("list")
def users_list(database_url: str | None = DatabaseUrl, data_dir: Path | None = DataDir) -> None:
    """List the staff logins: name, role, and whether they are disabled."""
    from takedown.services.staff_accounts import list_users

    with database_session(database_url, data_dir) as session:
        rows = [
            (u.name, u.role, "disabled" if u.disabled else "active") for u in list_users(session)
        ]
    if not rows:
        typer.echo("no staff users yet: takedown users create NAME --role ROLE")
        return
    width = max(len(name) for name, _, _ in rows)
    for name, role, state in rows:
        typer.echo(f"{name:<{width}}  {role:<8}  {state}")


@users_app.command("reset-password")
def users_reset_password(
    name: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from stdin."
    ),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Give a staff member a new password and sign them out everywhere. Without
    --password-stdin a new random password is made and printed alone on the last line."""
    import secrets

    from takedown.services.staff_accounts import reset_password

    made = not password_stdin
    password = secrets.token_urlsafe(12) if made else sys.stdin.readline().rstrip("\n")
    try:
        with database_session(database_url, data_dir) as session:
            reset_password(session, name, password, SystemClock().now())
    except ServiceError as exc:
        fail(exc.message)
    if made:
        typer.echo(f"new password for {name}; it is shown only now:")
        typer.echo(password)
    else:
        typer.echo(f"password changed for {name}")


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option(..., "--role"),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Create an API key; it is printed once, alone on the last line."""
    from takedown.services.access import create_api_key

    try:
        with database_session(database_url, data_dir) as session:
            key = create_api_key(session, name, role, SystemClock().now())
    except ServiceError as exc:
        fail(exc.message)
    typer.echo(f"API key for {name} ({role}); it is shown only now:")
    typer.echo(key)


from takedown.cli import demo, replay  # noqa: E402  (commands in their own modules)

app.command("demo")(demo.demo_command)
app.command("replay")(replay.replay_command)
from takedown.cli.signals import hash_files  # noqa: E402

app.command("hash")(hash_files)
from takedown.cli.banks import bank_app, scan_command  # noqa: E402

app.add_typer(bank_app, name="bank")
app.command("scan")(scan_command)
from takedown.cli.report import report_app  # noqa: E402

app.add_typer(report_app, name="report")
from takedown.cli.audit import audit_app  # noqa: E402

app.add_typer(audit_app, name="audit")
from takedown.cli.exchanges import exchange_app  # noqa: E402

app.add_typer(exchange_app, name="exchange")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
