"""A real `takedown serve` (SQLite in a temporary folder) for the public pages' browser tests,
which run in headless Debian Chromium (tests/e2e/conftest.py), with axe-core fetched from the
npm registry by scripts/fetch-axe."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess, cli, register_content

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def axe_source() -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "fetch-axe")], capture_output=True, text=True, timeout=180
    )
    if done.returncode != 0:
        pytest.fail(f"could not fetch axe-core: {done.stderr}", pytrace=False)
    return Path(done.stdout.strip()).read_text()


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("public-serve")
    env = {
        "TAKEDOWN_DATABASE_URL": f"sqlite:///{workdir / 'takedown.db'}",
        "TAKEDOWN_DATA_DIR": str(workdir / "data"),
        "TAKEDOWN_WORKER_POLL_SECONDS": "0.1",
        "TAKEDOWN_REPORT_RATE_LIMIT": "1000/minute",
    }
    server = ServerProcess(workdir, env)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def staff_keys(public_server: ServerProcess) -> dict[str, dict[str, str]]:
    keys = {}
    for name, role in (("acme", "platform"), ("rev-ana", "reviewer"), ("lead-bo", "lead")):
        out = cli(
            "keys",
            "create",
            "--name",
            name,
            "--role",
            role,
            cwd=public_server.workdir,
            env=public_server.environment(),
        )
        keys[role] = {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}
    return keys


def register(server: ServerProcess, keys: dict[str, dict[str, str]], content_id: str) -> None:
    register_content(server.url, keys["platform"], content_id)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def serious_violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations of impact serious or critical on the current page.

    The script is evaluated through the DevTools protocol, so the pages' strict
    Content-Security-Policy (no inline scripts) stays in force while it runs.
    """
    page.evaluate(axe_source + "\n;0")
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
