"""Scale-out as an operator runs it (issue 15, Done means): two API processes and two
`takedown worker` processes on PostgreSQL and Redis. Reports and uploads go through both API
processes; a worker is killed with -9 in the middle of a delivery; every job is still done once
in effect and no webhook is lost. A webhook endpoint that takes 10 s a delivery holds up only
its own deliveries: a video's verdict comes while none of them has been answered."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from takedown.store.models import ContentSignal, OutboxJob
from tests.conftest import _truncate_all
from tests.support.brokers import forget_namespace
from tests.support.receiver import WebhookReceiver
from tests.support.server import TAKEDOWN, ServerProcess, cli, stop_process
from tests.support.synthetic_media import scene_frames, video_bytes

pytestmark = pytest.mark.slow

REDIS = "redis://127.0.0.1:6379/0"
VICTIM = {
    "category": "child_sexual_exploitation",
    "reporter_role": "depicted_person",
    "depicts_minor": True,
}


@pytest.fixture
def postgres(postgres_url: str) -> str:
    from takedown.store.database import make_engine

    engine = make_engine(postgres_url)
    _truncate_all(engine)
    engine.dispose()
    return postgres_url


@pytest.fixture
def cluster_env(tmp_path: Path, postgres: str) -> Iterator[dict[str, str]]:
    namespace = f"takedown-e2e-{uuid.uuid4().hex[:8]}"
    yield {
        "TAKEDOWN_DATABASE_URL": postgres,
        "TAKEDOWN_DATA_DIR": str(tmp_path / "data"),
        "TAKEDOWN_BROKER_URL": REDIS,
        "TAKEDOWN_BROKER_NAMESPACE": namespace,
        "TAKEDOWN_WORKER_POLL_SECONDS": "0.05",
        # The live worker notices a dead one's claims on its sweep.
        "TAKEDOWN_SWEEP_INTERVAL_SECONDS": "0.5",
        "TAKEDOWN_REPORT_RATE_LIMIT": "10000/minute",
    }
    forget_namespace(REDIS, namespace)


def start_worker(workdir: Path, env: dict[str, str], n: int) -> subprocess.Popen[bytes]:
    log = open(workdir / f"worker-{n}.log", "ab")  # noqa: SIM115
    return subprocess.Popen(
        [*TAKEDOWN, "worker", "--concurrency", "2"],
        cwd=workdir,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def png(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (160, 120), (seed * 37 % 255, 90, 140))
    draw = ImageDraw.Draw(picture)
    for k in range(5):
        draw.rectangle(
            (k * 25 + seed % 7, k * 18, k * 25 + 40, k * 18 + 30), fill=(220, k * 40, 90)
        )
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def outbox(url: str) -> list[OutboxJob]:
    from sqlalchemy.orm import Session

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with Session(engine) as session:
            rows = list(session.scalars(select(OutboxJob)))
            session.expunge_all()
            return rows
    finally:
        engine.dispose()


def vpdq_rows(url: str, content_id: str) -> int:
    from sqlalchemy.orm import Session

    from takedown.store.models import ContentItem

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with Session(engine) as session:
            return len(
                list(
                    session.scalars(
                        select(ContentSignal.id)
                        .join(ContentItem, ContentItem.id == ContentSignal.item_id)
                        .where(ContentItem.content_id == content_id, ContentSignal.signal == "vpdq")
                    )
                )
            )
    finally:
        engine.dispose()


def wait_until(what: str, check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)  # polling other processes' work, not a timed assertion
    raise AssertionError(f"not in {timeout}s: {what}")


def test_two_apis_two_workers_a_worker_killed_mid_delivery_loses_nothing(
    tmp_path: Path, cluster_env: dict[str, str]
) -> None:
    apis = [ServerProcess(tmp_path, cluster_env) for _ in range(2)]
    for api in apis:
        api.start(timeout=120)
    workers = [start_worker(tmp_path, cluster_env, n) for n in range(2)]
    endpoint = WebhookReceiver(secret="acme-webhook-secret", hold_seconds=10)
    try:
        out = cli(
            "keys", "create", "--name", "acme", "--role", "platform",
            cwd=tmp_path, env=apis[0].environment(),
        )  # fmt: skip
        platform = {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}
        httpx.post(
            apis[0].url + "/v1/webhooks",
            json={"url": endpoint.url, "secret": endpoint.secret},
            headers=platform,
        ).raise_for_status()
        # Reports and uploads, alternating between the two API processes.
        for n in range(12):
            base = apis[n % 2].url
            uploaded = httpx.post(
                base + "/v1/content",
                data={"content_id": f"p-{n}", "account_id": f"acct-{n % 3}"},
                files={"file": (f"p-{n}.png", png(n), "image/png")},
                headers=platform,
                timeout=30,
            )
            assert uploaded.status_code == 200, uploaded.text
            reported = httpx.post(
                apis[(n + 1) % 2].url + "/v1/reports",
                json={"content_id": f"p-{n}", **VICTIM},
                timeout=30,
            )
            assert reported.status_code == 201, reported.text
            assert reported.json()["content_state"] == "restricted"
        # The endpoint now holds every delivery it gets for 10 s.
        assert endpoint.wait_started(1, 60) >= 1
        ahead = sum(
            1 for r in outbox(cluster_env["TAKEDOWN_DATABASE_URL"]) if r.kind == "webhook.deliver"
        )
        clip = video_bytes(scene_frames(40, seconds=3, fps=4), fps=4)
        held = httpx.post(
            apis[1].url + "/v1/content",
            data={"content_id": "vid", "account_id": "acct-v"},
            files={"file": ("clip.mp4", clip, "application/octet-stream")},
            headers=platform,
            timeout=30,
        ).json()
        assert held["verdict"] == "hold"

        def video_visible() -> bool:
            answer = httpx.get(apis[0].url + "/v1/content/vid", headers=platform, timeout=10)
            return bool(answer.json()["state"] == "visible")

        wait_until("the video's verdict", video_visible, 30)
        # One job at a time, the verdict would have waited for every delivery queued before it,
        # 10 s each; it came while most of them were still unanswered.
        assert ahead >= 12 and len(endpoint.deliveries) < ahead // 2, (ahead, endpoint.deliveries)

        # Kill -9 the worker that holds an unanswered delivery.
        pids = {w.pid: w for w in workers}
        running = [
            r
            for r in outbox(cluster_env["TAKEDOWN_DATABASE_URL"])
            if r.kind == "webhook.deliver" and r.status == "pending" and r.locked_by
            and not r.locked_by.startswith("queued:")
        ]  # fmt: skip
        holders = {int(str(r.locked_by).split(":")[1]) for r in running} & set(pids)
        assert holders, [(r.id, r.locked_by) for r in running]
        victim = pids[sorted(holders)[0]]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        endpoint.hold_seconds = 0
        endpoint.release.set()

        def all_done() -> bool:
            rows = outbox(cluster_env["TAKEDOWN_DATABASE_URL"])
            return bool(rows) and all(r.status == "done" for r in rows)

        wait_until("every job done", all_done, 120)
        rows = outbox(cluster_env["TAKEDOWN_DATABASE_URL"])
        assert not [r for r in rows if r.status != "done"]
        # No webhook lost: every event queued for the endpoint arrived, signed.
        queued = Counter(str(r.payload["body"]["id"]) for r in rows if r.kind == "webhook.deliver")
        arrived = Counter(str(d.json["id"]) for d in endpoint.deliveries)
        assert set(queued) <= set(arrived)
        assert all(d.verified for d in endpoint.deliveries)
        # Done once in effect: a delivery the endpoint answered too late (10 s is the timeout)
        # or that died with its worker is sent again, as the same event with the same bytes, so
        # the platform applies it once.
        bodies: dict[str, set[bytes]] = {}
        for d in endpoint.deliveries:
            bodies.setdefault(str(d.json["id"]), set()).add(d.body)
        assert all(len(versions) == 1 for versions in bodies.values())
        restricted = {
            d.json["data"]["content_id"]
            for d in endpoint.deliveries
            if d.json["type"] == "content.restricted"
        }
        assert restricted >= {f"p-{n}" for n in range(12)}
        assert vpdq_rows(cluster_env["TAKEDOWN_DATABASE_URL"], "vid") == 1
        # Every case's history is intact: nothing was applied twice or half.
        verified = subprocess.run(
            [*TAKEDOWN, "audit", "verify"],
            cwd=tmp_path,
            env=apis[0].environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        endpoint.close()
        for worker in workers:
            stop_process(worker, timeout=20)
        for api in apis:
            api.stop()
