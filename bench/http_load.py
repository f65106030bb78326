"""HTTP intake under concurrent load: Takedown against a bare FastAPI + SQLAlchemy baseline.

Each run starts `takedown serve` as a subprocess on loopback, with its own data folder and
a database of its own (a SQLite file, or a PostgreSQL database created for the run and
dropped after), creates a platform API key, and drives POST /v1/reports and POST /v1/content
(with MD5 and PDQ signals) with wrk (bench/intake.lua: a unique body on every request) at 1,
8 and 32 connections for a fixed time. The baseline (bench/baseline_app.py) answers the same
requests with one insert and a commit, on the same kind of database with the same number of
processes. Every loop is bounded; the servers are stopped at the end.

The load generator is wrk, one thread, written in C: it shares the machine's cores with the
servers but costs them little. The asyncio httpx generator used before took 1.7-2.1 ms of CPU
a request, as much as the baseline server itself; that pulled every ratio towards 1 and made
the 32-connection cells measure the client (docs/scaling.md). httpx still drives the other
sections' load (webhook latency, the crowded case), where the figure is not a ratio of rates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "TAKEDOWN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TAKEDOWN = [sys.executable, "-m", "takedown.cli.main"]


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database(kind: str, workdir: Path, label: str) -> Iterator[str]:
    """A fresh, empty database URL for one server; PostgreSQL ones are dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / (label + '.db')}"
        return
    name = f"bench_{label}_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def serve_supports_processes() -> bool:
    out = subprocess.run(
        [*TAKEDOWN, "serve", "--help"], capture_output=True, text=True, env=_env({})
    )
    return "--processes" in out.stdout


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=1.0)
            return
        time.sleep(0.2)  # polling a subprocess we started until it binds
    raise RuntimeError(f"server at {url} did not answer within {seconds:.0f} s")


@contextlib.contextmanager
def running(cmd: list[str], env: dict[str, str], probe: str | None, log: Path) -> Iterator[None]:
    """`cmd` running for the block, waited for until `probe` answers (a server; None for a
    process that serves nothing, a worker), stopped after it."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            if probe is not None:
                wait_until_up(probe, proc)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def takedown_env(db_url: str, data_dir: Path, port: int, processes: int) -> dict[str, str]:
    return _env(
        {
            "TAKEDOWN_DATABASE_URL": db_url,
            "TAKEDOWN_DATA_DIR": str(data_dir),
            "TAKEDOWN_PORT": str(port),
            "TAKEDOWN_PROCESSES": str(processes),
            # The bench measures intake, not the rate limiter: limits out of the way.
            "TAKEDOWN_REPORT_RATE_LIMIT": "100000000/minute",
            "TAKEDOWN_REPORTER_RATE_LIMIT": "100000000/hour",
            "TAKEDOWN_CHILD_SAFETY_RATE_LIMIT": "100000000/hour",
            "TAKEDOWN_SECRET_KEY": "bench-" + "x" * 40,
            # As the baseline's uvicorn (log level warning): neither side writes a line a request.
            "TAKEDOWN_ACCESS_LOG": "0",
        }
    )


@contextlib.contextmanager
def takedown_server(
    db_url: str,
    workdir: Path,
    processes: int,
    worker: bool,
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[str, str]]:
    """A running Takedown: (base URL, platform API key)."""
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=workdir))
    port = free_port()
    env = takedown_env(db_url, data_dir, port, processes)
    env.update(extra_env or {})
    subprocess.run([*TAKEDOWN, "db", "upgrade"], env=env, check=True, capture_output=True)
    created = subprocess.run(
        [*TAKEDOWN, "keys", "create", "--name", "bench", "--role", "platform"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    cmd = [*TAKEDOWN, "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd.append("--worker" if worker else "--no-worker")
    if processes > 1:
        cmd += ["--processes", str(processes)]
    base = f"http://127.0.0.1:{port}"
    with running(cmd, env, base + "/", workdir / f"takedown-{port}.log"):
        yield base, key


@contextlib.contextmanager
def baseline_server(db_url: str, workdir: Path, processes: int) -> Iterator[str]:
    port = free_port()
    env = _env({"BASELINE_DATABASE_URL": db_url})
    # Create the tables once, before the workers race to.
    subprocess.run(
        [sys.executable, "-c", "import bench.baseline_app"], env=env, check=True, cwd=ROOT
    )
    # Spread over its processes as Takedown's are (bench.baseline_serve).
    cmd = [sys.executable, "-m", "bench.baseline_serve", "127.0.0.1", str(port), str(processes)]
    base = f"http://127.0.0.1:{port}"
    with running(cmd, env, base + "/docs", workdir / f"baseline-{port}.log"):
        yield base


Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def content_sender(base: str, key: str | None) -> Send:
    headers = {"Authorization": f"Bearer {key}"} if key else {}

    async def send(client: httpx.AsyncClient, n: int) -> httpx.Response:
        signals = {"md5": secrets.token_hex(16), "pdq": secrets.token_hex(32), "pdq_quality": 100}
        data = {
            "content_id": f"c-{n}-{secrets.token_hex(3)}",
            "account_id": f"a-{n % 97}",
            "signals": json.dumps(signals),
        }
        return await client.post(base + "/v1/content", data=data, headers=headers)

    return send


async def _drive(send: Send, connections: int, seconds: float) -> Result:
    latencies: list[float] = []
    errors = 0
    counter = 0
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def one_connection() -> None:
            nonlocal errors, counter
            while time.perf_counter() < stop_at:
                counter += 1
                started = time.perf_counter()
                try:
                    response = await send(client, counter)
                    ok = response.status_code < 300
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    return Result(len(latencies), errors, elapsed, latencies)


def _merged(parts: list[Result]) -> Result:
    return Result(
        sum(p.requests for p in parts),
        sum(p.errors for p in parts),
        sum(p.seconds for p in parts),
        [ms for p in parts for ms in p.latencies_ms],
    )


LUA = Path(__file__).resolve().parent / "intake.lua"


@dataclass(frozen=True)
class Cell:
    """What wrk measured: requests answered, failures, seconds, latency percentiles."""

    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(base: str, what: str, key: str | None, connections: int, seconds: float) -> Cell:
    """One wrk run against `base`; a request answered with a status of 400 or more, or not
    answered, is an error and not counted as done."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run ./scripts/setup (it installs wrk)")
    env = {**os.environ, "BENCH_WHAT": what, "BENCH_KEY": key or ""}
    duration = max(1, round(seconds))
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", str(LUA),
         base],
        env=env,
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    )  # fmt: skip
    line = next(ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("{"))
    out = json.loads(line)
    errors = int(out["non_2xx"]) + int(out["socket_errors"])
    return Cell(
        requests=int(out["requests"]) - int(out["non_2xx"]),
        errors=errors,
        seconds=float(out["seconds"]),
        p50_ms=float(out["p50_ms"]),
        p99_ms=float(out["p99_ms"]),
    )


def wrk_pair(
    ours: str, theirs: str, what: str, key: str | None, connections: int, seconds: float
) -> tuple[Cell, Cell]:
    """Both servers for `seconds` each, in halves taken in the order ours, theirs, theirs,
    ours (a swing in the machine's load falls on both alike). Rates add up over the halves;
    a percentile is the worse of the two halves', for both sides alike."""
    targets = ((ours, key), (theirs, None))
    for base, k in targets:
        wrk(base, what, k, connections, 1.0)  # warm-up
    halves: tuple[list[Cell], list[Cell]] = ([], [])
    for side in (0, 1, 1, 0):
        base, k = targets[side]
        halves[side].append(wrk(base, what, k, connections, seconds / 2))
    merged = tuple(
        Cell(
            requests=sum(c.requests for c in cells),
            errors=sum(c.errors for c in cells),
            seconds=sum(c.seconds for c in cells),
            p50_ms=max(c.p50_ms for c in cells),
            p99_ms=max(c.p99_ms for c in cells),
        )
        for cells in halves
    )
    return merged[0], merged[1]


def run(quick: bool = False, seconds: float | None = None) -> list[str]:
    kinds = ["sqlite", "postgresql"]
    connections = [1, 8, 32]  # the goal is stated at 32 (issue 15): quick runs show it too
    seconds = seconds or (2.0 if quick else 10.0)
    processes = [1]
    if serve_supports_processes():
        processes = [1, 2] if quick else [1, 2, 4]
    rows: list[str] = []
    # Every `serve` process loads the index's machine code before it listens; compiled (or
    # found cached) here once, so that on a cold cache N processes do not compile it at once
    # within the start-up wait.
    subprocess.run(
        [sys.executable, "-c", "from takedown.signals.index import load_compiled; load_compiled()"],
        env=_env({}),
        check=True,
    )
    with tempfile.TemporaryDirectory(prefix="takedown-bench-") as tmp:
        workdir = Path(tmp)
        for kind in kinds:
            for n in processes:
                with (
                    database(kind, workdir, f"td{n}") as td_url,
                    database(kind, workdir, f"bl{n}") as bl_url,
                    takedown_server(td_url, workdir, n, worker=False) as (base, key),
                    baseline_server(bl_url, workdir, n) as bl_base,
                ):
                    for what in ("report", "content"):
                        for c in connections:
                            mine, base_r = wrk_pair(base, bl_base, what, key, c, seconds)
                            rows.append(_row(kind, n, what, c, mine, base_r))
                            print(rows[-1], file=sys.stderr, flush=True)
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        "## HTTP intake under load",
        "",
        "POST /v1/reports (anonymous, a bystander's child-safety report) and POST /v1/content"
        f" (platform key, MD5 and PDQ signals) on loopback, {seconds:.0f} s per side per cell"
        " after a warm-up, taken in halves in the order Takedown, baseline, baseline, Takedown,"
        " from wrk (one thread, N keep-alive connections, a unique body per request from"
        " bench/intake.lua; p50 and p99 are the worse half's). Baseline: bench/baseline_app.py,"
        " FastAPI + SQLAlchemy doing one insert and a commit per request, same database kind,"
        " same process count, each process on a socket of its own in the port's SO_REUSEPORT"
        " group as Takedown's are (bench/baseline_serve.py). Takedown runs without its worker"
        " (`--no-worker`), so the outbox fills and nothing drains it during the cell. Ratio:"
        " Takedown's req/s over the baseline's.",
        "",
        "| db | processes | endpoint | connections | Takedown req/s | p50 ms | p99 ms | errors"
        " | baseline req/s | p50 ms | p99 ms | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _row(kind: str, n: int, what: str, c: int, mine: Cell, base: Cell) -> str:
    ratio = mine.rate / base.rate if base.rate else float("nan")
    return (
        f"| {kind} | {n} | {what} | {c} | {mine.rate:.0f} | {mine.p50_ms:.1f}"
        f" | {mine.p99_ms:.1f} | {mine.errors} | {base.rate:.0f}"
        f" | {base.p50_ms:.1f} | {base.p99_ms:.1f} | {ratio:.2f}x |"
    )


if __name__ == "__main__":
    print("\n".join(run(quick="--quick" in sys.argv)))
