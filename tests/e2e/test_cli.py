"""The command line as scripts rely on it (API.md, "The command line")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.receiver import WebhookReceiver
from tests.support.server import TAKEDOWN, ServerProcess, cli

pytestmark = pytest.mark.slow


def env_for(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TAKEDOWN_DATABASE_URL": database_url,
        "TAKEDOWN_DATA_DIR": str(tmp_path / "data"),
    }


def test_keys_create_prints_the_key_alone_on_the_last_line(
    tmp_path: Path, database_url: str
) -> None:
    env = env_for(tmp_path, database_url)
    out = cli("keys", "create", "--name", "ana", "--role", "reviewer", cwd=tmp_path, env=env)
    key = out.rstrip("\n").splitlines()[-1]
    assert key.startswith("td_") and " " not in key and len(key) > 30


def test_bad_role_exits_non_zero_with_one_line_on_stderr(tmp_path: Path, database_url: str) -> None:
    done = subprocess.run(
        [*TAKEDOWN, "keys", "create", "--name", "x", "--role", "emperor"],
        cwd=tmp_path,
        env=env_for(tmp_path, database_url),
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown role" in lines[0]


def test_users_create_reads_the_password_from_stdin(tmp_path: Path, database_url: str) -> None:
    env = env_for(tmp_path, database_url)
    out = cli(
        "users",
        "create",
        "rita",
        "--role",
        "lead",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin="correct horse battery staple\n",
    )
    assert "rita" in out
    again = subprocess.run(
        [*TAKEDOWN, "users", "create", "rita", "--role", "lead", "--password-stdin"],
        cwd=tmp_path,
        env=env,
        input="correct horse battery staple\n",
        capture_output=True,
        text=True,
    )
    assert again.returncode != 0 and "exists" in again.stderr
    short = subprocess.run(
        [*TAKEDOWN, "users", "create", "sam", "--role", "reviewer", "--password-stdin"],
        cwd=tmp_path,
        env=env,
        input="short\n",
        capture_output=True,
        text=True,
    )
    assert short.returncode != 0 and "12 characters" in short.stderr


def test_db_upgrade_creates_the_schema_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    env = {**os.environ, "TAKEDOWN_DATA_DIR": str(tmp_path / "data")}
    env.pop("TAKEDOWN_DATABASE_URL", None)
    out = cli("db", "upgrade", cwd=tmp_path, env=env)
    assert "up to date" in out
    assert (tmp_path / "takedown.db").exists()


def test_a_separate_worker_process_delivers_what_the_api_queued(
    tmp_path: Path, database_url: str
) -> None:
    env = env_for(tmp_path, database_url)
    api = ServerProcess(
        tmp_path,
        {k: env[k] for k in ("TAKEDOWN_DATABASE_URL", "TAKEDOWN_DATA_DIR")},
        args=["--no-worker"],
    )
    receiver = WebhookReceiver(secret="worker-test-secret")
    worker = None
    try:
        api.start()
        key = (
            cli("keys", "create", "--name", "p", "--role", "platform", cwd=tmp_path, env=env)
            .strip()
            .splitlines()[-1]
        )
        headers = {"Authorization": f"Bearer {key}"}
        httpx.post(
            api.url + "/v1/webhooks",
            json={"url": receiver.url, "secret": receiver.secret},
            headers=headers,
        ).raise_for_status()
        httpx.post(
            api.url + "/v1/content",
            data={"content_id": "w-1", "account_id": "a", "signals": '{"md5": "' + "d" * 32 + '"}'},
            headers=headers,
        ).raise_for_status()
        httpx.post(
            api.url + "/v1/reports",
            json={
                "content_id": "w-1",
                "category": "child_sexual_exploitation",
                "reporter_role": "trusted_flagger",
                "depicts_minor": True,
            },
        ).raise_for_status()
        assert receiver.wait_for(1, timeout=1.0) == []  # no worker in the API process
        worker = subprocess.Popen(
            [*TAKEDOWN, "worker"],
            cwd=tmp_path,
            env={**env, "TAKEDOWN_WORKER_POLL_SECONDS": "0.1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        [delivery] = receiver.wait_for(1, timeout=20)
        assert delivery.verified and delivery.json["data"]["content_id"] == "w-1"
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=15)
        api.stop()
        receiver.close()


@pytest.mark.parametrize(
    ("args", "extra", "code", "says"),
    [
        (["--concurrency", "0"], {}, 2, "--concurrency"),
        ([], {"TAKEDOWN_BROKER_URL": "http://127.0.0.1:6379"}, 1, "TAKEDOWN_BROKER_URL"),
    ],
)
def test_worker_refuses_a_bad_concurrency_or_broker_url_and_says_which(
    tmp_path: Path, database_url: str, args: list[str], extra: dict[str, str], code: int, says: str
) -> None:
    done = subprocess.run(
        [*TAKEDOWN, "worker", *args],
        cwd=tmp_path,
        env={**env_for(tmp_path, database_url), **extra},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert says in done.stderr
