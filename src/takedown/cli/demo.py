"""`takedown demo`: Takedown and the demo microblog side by side, seeded, in one command.

Two uvicorn servers in one process and one event loop: Takedown (SQLite and a data folder in
the current directory, in-process worker) and the microblog, which reaches Takedown only over
HTTP. Once both answer, a background thread seeds logins, keys, the webhook, a bank of
synthetic test hashes and a few posts, then prints where to go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import httpx

from takedown.cli.options import DatabaseUrl, DataDir, fail, settings_from


def demo_command(
    host: str = typer.Option("127.0.0.1", help="Address both apps listen on."),
    port: int = typer.Option(8000, help="Takedown's port."),
    platform_port: int = typer.Option(8001, help="The demo platform's port."),
    database_url: str | None = DatabaseUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Start Takedown and the demo platform together, seeded; prints the URLs and logins."""
    # Imported here, not at the top: only this command needs the servers and the demo.
    import httpx
    import uvicorn

    from takedown.app import create_app
    from takedown.clock import SystemClock
    from takedown.demo import seed
    from takedown.demo.platform import (
        Platform,
        PlatformConfig,
        TakedownClient,
        create_platform_app,
    )
    from takedown.runtime import Runtime

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    takedown_url = f"http://{host}:{port}"
    platform_url = f"http://{host}:{platform_port}"
    settings = settings_from(database_url, data_dir)
    if not settings.public_url:
        settings = replace(settings, public_url=takedown_url)
    # The demo platform serves its media on this machine: evidence is fetched from it.
    settings = replace(settings, fetch_allow=f"{settings.fetch_allow} {host}".strip())
    sandbox = None
    if not settings.ncmec_url:
        # CyberTipline reports go to a local stand-in: a demo must never file with NCMEC.
        from takedown.cybertipline.sandbox import FakeCyberTipline

        sandbox = FakeCyberTipline()
        settings = replace(
            settings,
            ncmec_url=sandbox.url,
            ncmec_username=sandbox.username,
            ncmec_password=sandbox.password,
            # NCMEC needs someone to contact: without it every demo filing would be invalid.
            ncmec_reporter_email=settings.ncmec_reporter_email or "trust-and-safety@demo.example",
        )
        typer.echo(f"CyberTipline: a local sandbox at {sandbox.url} (nothing leaves this machine)")
    try:
        rt = Runtime.build(settings, SystemClock())
    except Exception as exc:
        fail(f"cannot start: {exc}")
    state = seed.DemoState.load(rt.settings.data_dir)
    logins = seed.seed_staff(rt)
    seed.seed_keys(rt, state)

    takedown_http = httpx.Client(base_url=takedown_url, timeout=60)
    platform = Platform(
        config=PlatformConfig(
            database_url=f"sqlite:///{(rt.settings.data_dir / 'demo-platform.db').resolve()}",
            public_url=platform_url,
            takedown_public_url=rt.settings.public_url,
            webhook_secret=state.values["webhook_secret"],
            name="Microblog (demo)",
        ),
        takedown=TakedownClient(takedown_http, state.values["platform_key"]),
    )
    servers = [
        _QuietServer(
            uvicorn.Config(
                create_app(rt), host=host, port=port, log_level="warning", proxy_headers=False
            )
        ),
        _QuietServer(
            uvicorn.Config(
                create_platform_app(platform), host=host, port=platform_port, log_level="warning"
            )
        ),
    ]

    def setup() -> None:
        deadline = time.monotonic() + 60
        while not all(s.started for s in servers):
            if time.monotonic() > deadline or any(s.should_exit for s in servers):
                return
            time.sleep(0.05)  # waiting for our own servers to bind, not a timed assertion
        # Bound is not ready: on a loaded machine the first requests may still be refused, so
        # seeding starts only once Takedown answers its health check.
        ready_by = time.monotonic() + 120
        while not _answers(takedown_http, "/healthz"):
            if time.monotonic() > ready_by or any(s.should_exit for s in servers):
                typer.echo("takedown demo: Takedown did not answer /healthz; not seeded", err=True)
                return
            time.sleep(0.2)  # polling our own server until it answers
        try:
            seed.register_webhook(takedown_http, state, f"{platform_url}/hooks/takedown")
            bank = seed.seed_bank(takedown_http, state)
            posts = seed.seed_posts(platform)
        except Exception as exc:  # the servers keep running; say what failed
            typer.echo(f"takedown demo: seeding failed: {exc}", err=True)
            return
        _banner(takedown_url, platform_url, logins, bank, posts)

    threading.Thread(target=setup, name="demo-setup", daemon=True).start()
    with _stop_on_signals(servers):
        asyncio.run(_serve_all(servers))
    takedown_http.close()
    platform.engine.dispose()
    if sandbox is not None:
        sandbox.close()


def _answers(http: httpx.Client, path: str) -> bool:
    import httpx

    try:
        return http.get(path, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


class _QuietServer:
    """A uvicorn server that leaves signal handling to the demo, which stops both at once."""

    def __init__(self, config: object) -> None:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        assert isinstance(config, uvicorn.Config)
        self.server = Server(config)

    @property
    def started(self) -> bool:
        return bool(self.server.started)

    @property
    def should_exit(self) -> bool:
        return bool(self.server.should_exit)

    def stop(self) -> None:
        self.server.should_exit = True

    async def serve(self) -> None:
        await self.server.serve()


async def _serve_all(servers: list[_QuietServer]) -> None:
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    # If one server stops (a port in use), stop the other too.
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for s in servers:
        s.stop()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.contextmanager
def _stop_on_signals(servers: list[_QuietServer]) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        for s in servers:
            s.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _banner(
    takedown_url: str,
    platform_url: str,
    logins: list[tuple[str, str, str | None]],
    bank: str,
    posts: int,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.rule("[bold]Takedown demo is running")
    console.print(f"Demo platform (a microblog): [bold]{platform_url}/[/]")
    console.print(f"Takedown (staff pages at /staff, API docs at /docs): [bold]{takedown_url}/[/]")
    table = Table(title="Staff logins (passwords are shown only when created)")
    table.add_column("user")
    table.add_column("role")
    table.add_column("password")
    for name, role, password in logins:
        table.add_row(name, role, password or "(unchanged; shown when first created)")
    console.print(table)
    console.print(f"Seeded: {bank}; {posts} new posts.")
    console.print(
        "Try it: open a post on the platform, follow its Report link, report it as child "
        "sexual exploitation as the person shown, then decide the case at /staff."
    )
    console.print("Stop with Ctrl-C.")
