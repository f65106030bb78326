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
import hashlib
import hmac
import json
import secrets
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench import http_load

SECRET = "bench-webhook-secret"


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


def measure(kind: str, count: int, workdir: Path) -> str:
    with http_load.database(kind, workdir, "wh") as url, Receiver() as receiver:
        env = {"TAKEDOWN_WORKER_POLL_SECONDS": "0.05", "TAKEDOWN_FETCH_ALLOW": "127.0.0.1"}
        with http_load.takedown_server(url, workdir, 1, worker=True, extra_env=env) as (base, key):
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
            answered = asyncio.run(_reports(base, key, ids, 0.05, 4))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not set(answered) <= set(receiver.arrived):
                time.sleep(0.1)  # waiting for the worker we started to deliver
            lat = [
                (receiver.arrived[c] - t) * 1000
                for c, t in answered.items()
                if c in receiver.arrived
            ]
    missing = len(answered) - len(lat)
    p50, p99 = _percentile(lat, 50), _percentile(lat, 99)
    f50 = _percentile(floor, 50)
    return f"| {kind} | {len(answered)} | {p50:.1f} | {p99:.1f} | {missing} | {f50:.2f} |"


def run(quick: bool = False) -> list[str]:
    count = 40 if quick else 400
    rows = []
    with tempfile.TemporaryDirectory(prefix="takedown-bench-wh-") as tmp:
        for kind in ("sqlite", "postgresql"):
            rows.append(measure(kind, count, Path(tmp)))
    return [
        "## Report → content.restricted webhook",
        "",
        f"{count} registered items, one P0 report each (depicted person, minor) from 4 connections"
        " pacing 50 ms; the in-process worker polls every 50 ms. Latency from the report's"
        " answer to the signed webhook's arrival at a loopback receiver that checks the"
        " signature. Baseline: one loopback POST to the same receiver.",
        "",
        "| db | reports | p50 ms | p99 ms | not arrived in 60 s | baseline POST p50 ms |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(run(quick="--quick" in sys.argv)))
