"""`takedown serve --processes N`: N API processes on one port, and at most one worker.

uvicorn's supervisor binds the socket and starts N processes (spawned, so each builds its own
Runtime: engine, pools and caches are never shared across a fork). The supervisor passes the
database and folder down through the environment. Only one process runs outbox jobs and the
periodic sweeps: a dedicated `takedown worker` beside the API processes, so webhook deliveries
never compete with requests for a process's event loop and SQLite keeps one writer for jobs.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

from fastapi import FastAPI

from takedown.config import Settings

# The API processes find their settings here; the supervisor sets them before it spawns.
_DATABASE_URL = "TAKEDOWN_DATABASE_URL"
_DATA_DIR = "TAKEDOWN_DATA_DIR"
_PR_SET_PDEATHSIG = 1


def serving_app() -> FastAPI:
    """The app factory each API process calls: its own Runtime, no worker thread."""
    from takedown.app import build_app
    from takedown.clock import SystemClock

    # The supervisor brought the schema up to date once; N processes racing to migrate would not.
    return build_app(Settings.from_env(), SystemClock(), run_worker=False, migrate=False)


def serve_processes(
    settings: Settings,
    host: str,
    port: int,
    processes: int,
    worker: bool,
    log_config: dict[str, object],
) -> None:
    """Run `processes` API processes under uvicorn's supervisor, and one worker process."""
    import uvicorn

    from takedown.store.database import make_engine, upgrade

    settings = settings.resolved()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ[_DATABASE_URL] = settings.database_url
    os.environ[_DATA_DIR] = str(settings.data_dir)
    jobs = _start_worker() if worker else None
    try:
        uvicorn.run(
            "takedown.cli.serving:serving_app",
            factory=True,
            host=host,
            port=port,
            workers=processes,
            log_level="info",
            log_config=log_config,
            proxy_headers=False,
        )
    finally:
        if jobs is not None:
            jobs.terminate()
            try:
                jobs.wait(timeout=15)
            except subprocess.TimeoutExpired:
                jobs.kill()
                jobs.wait()


def _start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "takedown.cli.main", "worker"],
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )


def _die_with_parent() -> None:
    # A supervisor killed with -9 must not leave a worker running jobs against the database.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
