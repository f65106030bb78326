"""Report → signed content.restricted webhook: latency from the report's answer to arrival.

Takedown runs with its worker on loopback (SQLite, then PostgreSQL). A receiver on loopback
checks each webhook's Takedown-Signature (HMAC-SHA256 of "<t>.<body>", API.md) and notes when
it arrived. Content is registered first; then P0 reports (depicted person, minor) go out at
a fixed pace from several connections, and for each the time from the report's response to
the signed webhook's arrival is taken. The baseline is the loopback round trip of one POST to
the same receiver, measured in the same run: the least any webhook could cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench import http_load

SECRET = "bench-webhook-secret"
REDIS = "redis://127.0.0.1:6379/0"
PACE_S = 0.05
CONNECTIONS = 4


class Receiver:
    """A loopback webhook endpoint that records when each signed content.restricted arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.bad_signatures = 0
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                now = time.perf_counter()
                if owner.verified(self.headers.get("Takedown-Signature", ""), raw):
                    event = json.loads(raw)
                    if event.get("type") == "content.restricted":
                        with owner.lock:
                            owner.arrived.setdefault(event["data"]["content_id"], now)
                else:
                    with owner.lock:
                        owner.bad_signatures += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def verified(self, header: str, raw: bytes) -> bool:
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        if "t" not in parts or "v1" not in parts:
            return False
        expected = hmac.new(
            SECRET.encode(), parts["t"].encode() + b"." + raw, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, parts["v1"])

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def _reports(
    base: str, key: str, ids: list[str], pace_s: float, connections: int
) -> dict[str, float]:
    answered: dict[str, float] = {}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for content_id in ids:
        queue.put_nowait(content_id)
    async with httpx.AsyncClient(timeout=30.0) as client:

        async def worker() -> None:
            while not queue.empty():
                content_id = queue.get_nowait()
                body = {
                    "content_id": content_id,
                    "category": "child_sexual_exploitation",
                    "reporter_role": "depicted_person",
                    "depicts_minor": True,
                }
                r = await client.post(base + "/v1/reports", json=body)
                if r.status_code == 201 and r.json().get("content_state") == "restricted":
                    answered[content_id] = time.perf_counter()
                await asyncio.sleep(pace_s)  # an offered load, not a flood: latency, not throughput

        await asyncio.gather(*(worker() for _ in range(connections)))
    return answered


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _broker_worker(
    db_url: str, base_env: dict[str, str], workdir: Path
) -> contextlib.AbstractContextManager[None]:
    """One `takedown worker` on the Redis broker, beside the API processes."""
    cmd = [*http_load.TAKEDOWN, "worker", "--database-url", db_url]
    return http_load.running(cmd, http_load._env(base_env), None, workdir / "worker.log")


@dataclass(frozen=True)
class Layout:
    label: str
    kind: str
    processes: int = 1
    broker: bool = False
    load_connections: int = 0


def measure(layout: Layout, count: int, workdir: Path) -> str:
    namespace = f"bench-{secrets.token_hex(4)}"
    env = {
        "TAKEDOWN_WORKER_POLL_SECONDS": "0.05",
        "TAKEDOWN_FETCH_ALLOW": "127.0.0.1",
        # API processes and the worker share one folder: held uploads, evidence and its key.
        "TAKEDOWN_DATA_DIR": str(workdir / "data"),
    }
    if layout.broker:
        env |= {"TAKEDOWN_BROKER_URL": REDIS, "TAKEDOWN_BROKER_NAMESPACE": namespace}
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(http_load.database(layout.kind, workdir, "wh"))
        receiver = stack.enter_context(Receiver())
        base, key = stack.enter_context(
            http_load.takedown_server(
                url, workdir, layout.processes, worker=not layout.broker, extra_env=env
            )
        )
        if layout.broker:
            stack.enter_context(_broker_worker(url, env, workdir))
        auth = {"Authorization": f"Bearer {key}"}
        r = httpx.post(
            base + "/v1/webhooks", json={"url": receiver.url, "secret": SECRET}, headers=auth
        )
        r.raise_for_status()
        ids = [f"wh-{i}-{secrets.token_hex(3)}" for i in range(count)]
        with httpx.Client(timeout=30.0) as client:
            for i, content_id in enumerate(ids):
                signals = {"md5": secrets.token_hex(16)}
                client.post(
                    base + "/v1/content",
                    data={
                        "content_id": content_id,
                        "account_id": f"a-{i}",
                        "signals": json.dumps(signals),
                    },
                    headers=auth,
                ).raise_for_status()
            # The floor: one loopback POST to the receiver, unsigned (counted as bad, ignored).
            floor: list[float] = []
            for _ in range(50):
                t0 = time.perf_counter()
                client.post(receiver.url, content=b"{}")
                floor.append((time.perf_counter() - t0) * 1000)
        load: list[http_load.Result] = []
        if layout.load_connections:
            # Registrations flat out beside the paced reports: the API and the database busy.
            seconds = count * PACE_S / CONNECTIONS + 1.0
            sender = http_load.content_sender(base, key)
            loader = threading.Thread(
                target=lambda: load.append(
                    asyncio.run(http_load._drive(sender, layout.load_connections, seconds))
                ),
                daemon=True,
            )
            loader.start()
        answered = asyncio.run(_reports(base, key, ids, PACE_S, CONNECTIONS))
        if layout.load_connections:
            loader.join()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not set(answered) <= set(receiver.arrived):
            time.sleep(0.1)  # waiting for the worker we started to deliver
        lat = [
            (receiver.arrived[c] - t) * 1000 for c, t in answered.items() if c in receiver.arrived
        ]
        if layout.broker:
            _forget_namespace(namespace)
    missing = len(answered) - len(lat)
    p50, p99 = _percentile(lat, 50), _percentile(lat, 99)
    f50 = _percentile(floor, 50)
    beside = f"{load[0].rate:.0f}/s" if load else "-"
    return (
        f"| {layout.label} | {len(answered)} | {beside} | {p50:.1f} | {p99:.1f} | {missing}"
        f" | {f50:.2f} |"
    )


def _forget_namespace(namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{namespace}:*"):
        client.delete(key)
    client.close()


LAYOUTS = [
    Layout("SQLite, 1 process, in-process worker", "sqlite"),
    Layout("PostgreSQL, 1 process, in-process worker", "postgresql"),
    Layout(
        "PostgreSQL, 1 process, in-process worker, under load", "postgresql", load_connections=8
    ),
    Layout(
        "PostgreSQL, 2 API processes + `takedown worker` on Redis, under load",
        "postgresql",
        processes=2,
        broker=True,
        load_connections=8,
    ),
]


def run(quick: bool = False) -> list[str]:
    count = 40 if quick else 400
    rows = []
    with tempfile.TemporaryDirectory(prefix="takedown-bench-wh-") as tmp:
        for n, layout in enumerate(LAYOUTS):
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            rows.append(measure(layout, count, workdir))
    return [
        "## Report → content.restricted webhook",
        "",
        f"{count} registered items, one P0 report each (depicted person, minor) from"
        f" {CONNECTIONS} connections pacing {PACE_S * 1000:.0f} ms; workers poll every 50 ms."
        ' "Under load": 8 more connections register content (signals) flat out meanwhile.'
        " Latency from the report's answer to the signed webhook's arrival at a loopback"
        " receiver that checks the signature. Baseline: one loopback POST to the same receiver.",
        "",
        "| layout | reports | registrations beside | p50 ms | p99 ms | not arrived in 60 s"
        " | baseline POST p50 ms |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(run(quick="--quick" in sys.argv)))
