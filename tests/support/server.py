"""A real `takedown serve` process for end-to-end tests: start, wait until ready, kill -9."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TAKEDOWN = [sys.executable, "-m", "takedown.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"takedown serve exited: {self.log_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling a real process until it is ready, not a timed assertion
        raise AssertionError(f"takedown serve not ready in {timeout}s: {self.log_text()[-3000:]}")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def log_text(self) -> str:
        path = self.workdir / f"serve-{self.port}.log"
        return path.read_text(errors="replace") if path.exists() else ""
