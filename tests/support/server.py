"""Real servers for end-to-end tests: a `takedown serve` process (start, wait until ready,
kill -9), or the app under uvicorn in a thread of the test process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TAKEDOWN = [sys.executable, "-m", "takedown.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_ready(
    url: str,
    timeout: float,
    exited: Callable[[], str | None] = lambda: None,
    needle: str = "",
) -> str:
    """Poll `url` until it answers 200 with `needle` in its body; return the body.

    `exited` says why the server is gone (None while it runs), so a dead server fails at once
    rather than at the deadline.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        problem = exited()
        if problem is not None:
            raise AssertionError(problem)
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200 and needle in response.text:
                return response.text
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling a real server until it is ready, not a timed assertion
    raise AssertionError(f"{url} not ready in {timeout}s")


@contextmanager
def serving_in_thread(app: Any, log_level: str = "warning") -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a daemon thread of this process; yields its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(
            url + "/healthz",
            30,
            lambda: None if thread.is_alive() else "the server in the test thread stopped",
        )
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def register_content(url: str, platform: dict[str, str], content_id: str) -> None:
    """Register an item as the platform would, with a made-up MD5 (its media are not needed)."""
    response = httpx.post(
        url + "/v1/content",
        data={
            "content_id": content_id,
            "account_id": "uploader-" + content_id,
            "signals": '{"md5": "' + f"{abs(hash(content_id)):032x}"[:32] + '"}',
        },
        headers=platform,
    )
    assert response.status_code == 200, response.text


def cli(*args: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    """Run a `takedown` command and return its standard output; fail with its stderr."""
    done = subprocess.run(
        [*TAKEDOWN, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise AssertionError(f"takedown {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def stop_process(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class ServerProcess:
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def start(self, timeout: float = 60.0) -> None:
        log = open(self.workdir / f"serve-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*TAKEDOWN, "serve", "--port", str(self.port), *self.args],
            cwd=self.workdir,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process = self.process
        try:
            wait_until_ready(
                self.url + "/healthz",
                timeout,
                lambda: "takedown serve exited" if process.poll() is not None else None,
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {self.log_text()[-3000:]}") from None

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def log_text(self) -> str:
        path = self.workdir / f"serve-{self.port}.log"
        return path.read_text(errors="replace") if path.exists() else ""
