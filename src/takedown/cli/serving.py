"""`takedown serve --processes N`: N API processes on one port, and at most one worker.

Each API process listens on a socket of its own in the port's SO_REUSEPORT group, so the
kernel spreads connections across the processes. One socket shared by all, as uvicorn's
supervisor has it, let whichever process woke first accept: eight keep-alive connections all
landed on one process and a second process added nothing (issue 15). The processes are
spawned, so each builds its own Runtime (engine, pools and caches are never shared across a
fork); the supervisor passes the database and folder down through the environment, restarts a
process that dies, and stops them all on SIGINT or SIGTERM. Only one process runs outbox jobs
and the periodic sweeps: a dedicated `takedown worker` beside the API processes, so webhook
deliveries never compete with requests for a process's event loop and SQLite keeps one writer
for jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import TYPE_CHECKING

from fastapi import FastAPI

from takedown.config import Settings

if TYPE_CHECKING:
    import uvicorn

# The API processes find their settings here; the supervisor sets them before it spawns.
_DATABASE_URL = "TAKEDOWN_DATABASE_URL"
_DATA_DIR = "TAKEDOWN_DATA_DIR"
_PR_SET_PDEATHSIG = 1
# uvicorn's exit status for an app or socket that cannot start: restarting would fail the same way.
_STARTUP_FAILURE = 3
# How long a stopped API process may take to finish the requests it holds.
_GRACE_SECONDS = 15.0

log = logging.getLogger("takedown.serving")


def serving_app() -> FastAPI:
    """The app factory each API process calls: its own Runtime, no worker thread."""
    from takedown.app import build_app
    from takedown.clock import SystemClock
    from takedown.signals.index import load_compiled

    # Before this process listens: loaded on its first PDQ hash instead, numba held up that
    # request and its neighbours for about a second (p99 of 0.9-1.05 s at one connection in
    # the HTTP bench's 2- and 4-process cells, issue 15).
    load_compiled()
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
    """Run `processes` API processes on the port, and one worker process."""
    from takedown.store.database import make_engine, upgrade

    settings = settings.resolved()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ[_DATABASE_URL] = settings.database_url
    os.environ[_DATA_DIR] = str(settings.data_dir)
    # Held, not listened on, from before the worker starts to the end: a port another program
    # holds fails here, and port 0 becomes one port that every API process then joins.
    holder = port_socket(host, port)
    jobs = _start_worker() if worker else None
    try:
        _supervise(
            host,
            holder.getsockname()[1],
            processes,
            log_config,
            settings.process_health_seconds,
        )
    finally:
        holder.close()
        if jobs is not None:
            jobs.terminate()
            try:
                jobs.wait(timeout=15)
            except subprocess.TimeoutExpired:
                jobs.kill()
                jobs.wait()


def port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) in the port's SO_REUSEPORT group (Linux admits only
    sockets of the same user to a group)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class _ApiProcess:
    """One API process and the supervisor's end of its health pipe."""

    process: BaseProcess
    health: Connection
    # When it last answered a ping; None while it starts (its startup may load big banks).
    answered_at: float | None = None
    pinged_at: float | None = None


def _supervise(
    host: str, port: int, processes: int, log_config: dict[str, object], health_seconds: float
) -> None:
    """Keep `processes` API processes serving on the port until SIGINT or SIGTERM.

    A process that ends is replaced. So is one that has served and then leaves a ping
    unanswered for `health_seconds`: stopped, deadlocked, or its event loop blocked. With a
    socket of its own it would otherwise go on taking its share of new connections.
    """
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def _stop(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def start() -> _ApiProcess:
        ours, theirs = context.Pipe()
        child = context.Process(
            target=_serve_api,
            args=(host, port, log_config, theirs),
            name="takedown-api",
            daemon=False,
        )
        child.start()
        theirs.close()
        return _ApiProcess(child, ours)

    children = [start() for _ in range(processes)]
    log.info(
        "Takedown API on http://%s:%d in %d processes %s (Press CTRL+C to quit)",
        host,
        port,
        processes,
        [child.process.pid for child in children],
    )
    try:
        while not stop.wait(0.5):
            for n, child in enumerate(children):
                if _healthy(child, health_seconds):
                    continue
                if child.process.exitcode == _STARTUP_FAILURE:
                    raise RuntimeError(
                        f"API process [{child.process.pid}] could not start; its log says why"
                    )
                child.health.close()
                children[n] = start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all([child.process for child in children])


def _healthy(child: _ApiProcess, health_seconds: float) -> bool:
    """Ping `child` and read its answers; False once it has ended or been killed as hung."""
    process, now = child.process, time.monotonic()
    if not process.is_alive():
        log.warning(
            "API process [%s] ended (exit status %s); starting another",
            process.pid,
            process.exitcode,
        )
        return False
    try:
        while child.health.poll():
            child.health.recv()
            if child.answered_at is None:
                log.info("API process [%s] is serving", process.pid)
            child.answered_at, child.pinged_at = now, None
        if child.pinged_at is None:
            child.health.send(b"ping")
            child.pinged_at = now
    except (OSError, EOFError):
        pass  # it is ending: the next look finds it dead
    hung = (
        child.answered_at is not None
        and child.pinged_at is not None
        and now - child.pinged_at > health_seconds
    )
    if hung:
        log.error(
            "API process [%s] did not answer for %.0f s; killing it and starting another",
            process.pid,
            health_seconds,
        )
        process.kill()
        process.join()
    return not hung


def _stop_all(children: list[BaseProcess]) -> None:
    for child in children:
        if child.is_alive():
            child.terminate()  # SIGTERM: uvicorn finishes the requests it holds, then exits
    for child in children:
        child.join(_GRACE_SECONDS)
        if child.is_alive():
            child.kill()
            child.join()


def _serve_api(host: str, port: int, log_config: dict[str, object], health: Connection) -> None:
    """One API process: its own socket in the port's group, listened on by uvicorn."""
    import uvicorn

    # A terminal's Ctrl-C reaches the supervisor alone, which then stops each process once:
    # a second signal would make uvicorn drop the requests it holds instead of finishing them.
    os.setpgrp()
    if sys.platform == "linux":
        _die_with_parent()
    config = uvicorn.Config(
        "takedown.cli.serving:serving_app",
        factory=True,
        log_level="info",
        log_config=log_config,
        access_log=Settings.from_env().access_log,
        proxy_headers=False,
    )
    try:
        sock = port_socket(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", host, port, exc)
        sys.exit(_STARTUP_FAILURE)
    server = uvicorn.Server(config)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=_answer_pings, args=(health, loop, server), name="health", daemon=True
        ).start()
        await server.serve(sockets=[sock])

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(serve())


def _answer_pings(
    health: Connection, loop: asyncio.AbstractEventLoop, server: uvicorn.Server
) -> None:
    """Answer each of the supervisor's pings from the event loop, once the server serves: a
    loop held up by a request answers late, as the requests queued behind it are."""
    while True:
        try:
            health.recv()
        except (OSError, EOFError):
            return  # the supervisor is gone; PDEATHSIG ends this process
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.1)  # waiting for uvicorn's startup, which has no event to wait on
        try:
            loop.call_soon_threadsafe(_pong, health)
        except RuntimeError:
            return  # the loop has closed: the process is ending


def _pong(health: Connection) -> None:
    with contextlib.suppress(OSError):
        health.send(True)


def _start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "takedown.cli.main", "worker"],
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )


def _die_with_parent() -> None:
    # A supervisor killed with -9 must not leave a worker running jobs against the database.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
