"""Reports on one crowded case: does intake slow as the reports on one item pile up?

A viral item, or a brigade, puts thousands of reports on one case. Takedown runs on loopback
(PostgreSQL, one process, no worker); one item is registered, and reports of it arrive in
blocks from several connections, each from a reporter of its own (forwarded by the platform,
each with an address for updates, as bystanders of child sexual content). The baseline, in
the same run and on the same server, is a report of a new item each time: the cost of a
report on a case with nothing on it. Each block of the crowded case is taken between two
baseline blocks, so a swing in the machine's load falls on both.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

import httpx

from bench import http_load

CONNECTIONS = 4


async def _send_block(
    base: str, key: str, first: int, count: int, item: str | None
) -> http_load.Result:
    """`count` reports, numbered from `first`: of `item`, or each of a new item if None."""
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    errors = 0
    failures: list[str] = []
    numbers = iter(range(first, first + count))
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:

        async def one_connection() -> None:
            nonlocal errors
            for n in numbers:
                body = {
                    "content_id": item or f"fresh-{n}",
                    "category": "child_sexual_exploitation",
                    "reporter_role": "third_party",
                    "reporter_account_id": f"acct-{n}",
                    "contact_email": f"r{n}@example.org",
                }
                started = time.perf_counter()
                response = await client.post(base + "/v1/reports", json=body, headers=headers)
                if response.status_code == 201:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
                    failures.append(f"{response.status_code} {response.text[:300]}")

        began = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} reports refused, the first: {failures[0]}")
    return http_load.Result(len(latencies), errors, elapsed, latencies)


def run(quick: bool = False) -> list[str]:
    block = 100 if quick else 250
    blocks = 3 if quick else 8
    lines = [
        "## Reports on one crowded case",
        "",
        f"PostgreSQL, one process, {CONNECTIONS} connections. Reports of one item arrive in"
        f" blocks of {block}, each from a reporter of its own; each block stands beside a"
        " report of a new item each time, on the same server, taken before and after it"
        " (bench/crowded_case.py). A ratio near 1.0 means a report costs the same however many"
        " reports its case already holds.",
        "",
        "| reports already on the case | reports/s | p50 ms | p99 ms"
        " | new items: reports/s | ratio |",
        "|---|---|---|---|---|---|",
    ]
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-crowd-")))
        url = stack.enter_context(http_load.database("postgresql", workdir, "crowd"))
        base, key = stack.enter_context(http_load.takedown_server(url, workdir, 1, worker=False))
        registered = httpx.post(
            base + "/v1/content",
            data={"content_id": "viral", "account_id": "uploader", "text": "a viral post"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30.0,
        )
        registered.raise_for_status()
        fresh = 10**6
        asyncio.run(_send_block(base, key, fresh, block // 2, None))  # warm-up
        fresh += block
        for i in range(blocks):
            before = asyncio.run(_send_block(base, key, fresh, block // 2, None))
            crowded = asyncio.run(_send_block(base, key, i * block, block, "viral"))
            after = asyncio.run(_send_block(base, key, fresh + block, block // 2, None))
            fresh += 2 * block
            baseline = http_load._merged([before, after])
            lines.append(
                f"| {i * block:,} | {crowded.rate:.0f} | {crowded.percentile(50):.0f}"
                f" | {crowded.percentile(99):.0f} | {baseline.rate:.0f}"
                f" | {crowded.rate / baseline.rate:.2f}x |"
            )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
