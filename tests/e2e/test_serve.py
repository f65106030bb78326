"""`takedown serve` as a user runs it: ready, restricting in the response, webhooks fast,
and nothing acknowledged lost across kill -9."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.receiver import WebhookReceiver
from tests.support.server import ServerProcess, cli

pytestmark = pytest.mark.slow

VICTIM = {
    "category": "child_sexual_exploitation",
    "reporter_role": "depicted_person",
    "depicts_minor": True,
}


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[ServerProcess]:
    env = {
        "TAKEDOWN_METRICS_ALLOW": "127.0.0.1/32",  # the scrape below comes from here
        "TAKEDOWN_DATABASE_URL": database_url,
        "TAKEDOWN_DATA_DIR": str(tmp_path / "data"),
        "TAKEDOWN_WORKER_POLL_SECONDS": "0.1",
    }
    proc = ServerProcess(tmp_path, env)
    yield proc
    proc.stop()


def keys(server: ServerProcess) -> dict[str, str]:
    env = server.environment()
    out = cli(
        "keys",
        "create",
        "--name",
        "acme-platform",
        "--role",
        "platform",
        cwd=server.workdir,
        env=env,
    )
    return {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}


def test_serve_restricts_in_the_response_and_delivers_the_webhook_within_two_seconds(
    server: ServerProcess,
) -> None:
    server.start()
    platform = keys(server)
    receiver = WebhookReceiver(secret="acme-webhook-secret")
    try:
        assert (
            httpx.post(
                server.url + "/v1/webhooks",
                json={"url": receiver.url, "secret": receiver.secret},
                headers=platform,
            ).status_code
            == 201
        )
        assert (
            httpx.post(
                server.url + "/v1/content",
                data={
                    "content_id": "p-123",
                    "account_id": "acct-1",
                    "signals": '{"md5": "' + "c" * 32 + '"}',
                },
                headers=platform,
            ).status_code
            == 200
        )
        sent = time.monotonic()
        response = httpx.post(server.url + "/v1/reports", json={"content_id": "p-123", **VICTIM})
        assert response.status_code == 201
        body = response.json()
        assert (body["priority"], body["content_state"]) == ("P0", "restricted")
        [delivery] = receiver.wait_for(1, timeout=2.0)
        elapsed = time.monotonic() - sent
        assert delivery.verified and delivery.json["type"] == "content.restricted"
        print(f"\ncontent.restricted webhook arrived {elapsed * 1000:.0f} ms after the report")
        assert httpx.get(server.url + "/openapi.json").json()["info"]["title"] == "Takedown"
        assert httpx.get(server.url + "/docs").status_code == 200
        assert "takedown_reports_total" in httpx.get(server.url + "/metrics").text
    finally:
        receiver.close()


def test_kill_9_with_deliveries_pending_loses_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    server.start()
    platform = keys(server)
    # An endpoint that is down: deliveries stay pending in the outbox.
    down = WebhookReceiver(secret="acme-webhook-secret")
    url = down.url
    down.close()
    assert (
        httpx.post(
            server.url + "/v1/webhooks",
            json={"url": url, "secret": "acme-webhook-secret"},
            headers=platform,
        ).status_code
        == 201
    )
    acknowledged = []
    for n in range(5):
        httpx.post(
            server.url + "/v1/content",
            data={
                "content_id": f"p-{n}",
                "account_id": f"acct-{n}",
                "signals": '{"md5": "' + f"{n:032x}" + '"}',
            },
            headers=platform,
        ).raise_for_status()
        report = httpx.post(server.url + "/v1/reports", json={"content_id": f"p-{n}", **VICTIM})
        assert report.status_code == 201
        acknowledged.append(report.json())
    server.kill9()

    # The endpoint comes back on the same port; the server restarts on the same database.
    port = int(url.split(":")[2].split("/")[0])
    receiver = WebhookReceiver(secret="acme-webhook-secret", port=port)
    try:
        server.start()
        staff_out = cli(
            "keys",
            "create",
            "--name",
            "auditor",
            "--role",
            "admin",
            cwd=tmp_path,
            env=server.environment(),
        )
        staff = {"Authorization": f"Bearer {staff_out.strip().splitlines()[-1]}"}
        expected = set()
        for report in acknowledged:
            case = httpx.get(server.url + f"/v1/cases/{report['case_id']}", headers=staff).json()
            assert [r["report_id"] for r in case["reports"]] == [report["report_id"]]
            expected |= {e["id"] for e in case["events"] if e["type"] == "restrict"}
        assert len(expected) == 5
        # Back-off after the first failed attempts is a few seconds at most.
        receiver.wait_for(5, timeout=30)
        got = [d.json for d in receiver.deliveries]
        assert {d["id"] for d in got} == expected
        assert all(d.verified for d in receiver.deliveries)
        assert {d["data"]["content_id"] for d in got} == {f"p-{n}" for n in range(5)}
    finally:
        receiver.close()
    assert os.path.exists(tmp_path / "data")


def test_kill_9_under_load_loses_no_acknowledged_report(
    server: ServerProcess, tmp_path: Path
) -> None:
    """Clients keep reporting while the server is killed mid-stream: every report answered 201
    is there after a restart, with its case's history intact (`takedown audit verify`)."""
    import threading

    server.start()
    platform = keys(server)
    for n in range(4):
        httpx.post(
            server.url + "/v1/content",
            data={
                "content_id": f"p-{n}",
                "account_id": f"acct-{n}",
                "signals": '{"md5": "' + f"{n + 100:032x}" + '"}',
            },
            headers=platform,
        ).raise_for_status()
    acknowledged: list[dict[str, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def reporter(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = client.post(
                        "/v1/reports", json={"content_id": f"p-{(worker + n) % 4}", **VICTIM}
                    )
                except httpx.HTTPError:
                    continue  # the server is gone: not acknowledged, nothing to keep
                if response.status_code == 201:
                    with lock:
                        acknowledged.append(response.json())

    threads = [threading.Thread(target=reporter, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for load to build before the kill, not a timed assertion
    server.kill9()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) >= 20

    server.start()
    admin_out = cli(
        "keys",
        "create",
        "--name",
        "auditor",
        "--role",
        "admin",
        cwd=tmp_path,
        env=server.environment(),
    )
    admin = {"Authorization": f"Bearer {admin_out.strip().splitlines()[-1]}"}
    by_case: dict[str, set[str]] = {}
    for report in acknowledged:
        by_case.setdefault(report["case_id"], set()).add(report["report_id"])
    for case_id, report_ids in by_case.items():
        case = httpx.get(server.url + f"/v1/cases/{case_id}", headers=admin).json()
        assert report_ids <= {r["report_id"] for r in case["reports"]}
    server.stop()
    out = cli("audit", "verify", cwd=tmp_path, env=server.environment())
    assert "audit trail intact" in out


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`, with their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # it ended while we looked
        # The parent id is the second field after the parenthesised command name.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def test_serve_with_two_processes_answers_from_each_and_runs_one_worker(
    server: ServerProcess,
) -> None:
    """Each API process serves on its own: with one of them stopped (SIGSTOP) the other still
    answers, both ways round; one dedicated worker delivers the webhook."""
    import signal

    server.args = ["--processes", "2"]
    server.start()
    assert server.process is not None
    children = _children(server.process.pid)
    api = sorted(p for p, cmd in children.items() if "multiprocessing.spawn" in cmd)
    workers = [p for p, cmd in children.items() if "takedown.cli.main worker" in cmd]
    assert len(api) == 2 and len(workers) == 1, children
    platform = keys(server)
    receiver = WebhookReceiver(secret="acme-webhook-secret")
    try:
        httpx.post(
            server.url + "/v1/webhooks",
            json={"url": receiver.url, "secret": receiver.secret},
            headers=platform,
        ).raise_for_status()
        for n, (stopped, serving) in enumerate([(api[0], api[1]), (api[1], api[0])]):
            os.kill(stopped, signal.SIGSTOP)
            try:
                httpx.post(
                    server.url + "/v1/content",
                    data={
                        "content_id": f"p-{n}",
                        "account_id": "acct-1",
                        "signals": '{"md5": "' + f"{n + 7:032x}" + '"}',
                    },
                    headers=platform,
                    timeout=20,
                ).raise_for_status()
                response = httpx.post(
                    server.url + "/v1/reports",
                    json={"content_id": f"p-{n}", **VICTIM},
                    timeout=20,
                )
            finally:
                os.kill(stopped, signal.SIGCONT)
            assert response.status_code == 201, response.text
            served_by = [
                line for line in server.log_text().splitlines() if '"POST /v1/reports' in line
            ][-1]
            assert f"[{serving}]" in served_by
        deliveries = receiver.wait_for(2, timeout=20)
        assert {d.json["data"]["content_id"] for d in deliveries} == {"p-0", "p-1"}
        assert all(d.verified for d in deliveries)
    finally:
        receiver.close()
    server.stop()
    # The supervisor takes its worker down with it.
    assert not any(Path(f"/proc/{p}").exists() for p in workers)
