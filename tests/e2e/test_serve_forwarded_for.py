"""`takedown serve` believes X-Forwarded-For only from TAKEDOWN_TRUSTED_PROXIES (issue 10,
finding 3): uvicorn's own default would believe it from 127.0.0.1, which let 30 of 30 reports
with forged, rotating addresses through a 20-a-minute limit."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

SPAM = {"content_id": "p-1", "category": "spam", "reporter_role": "third_party"}


def _answers(server: ServerProcess) -> list[int]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        return [
            client.post(
                "/v1/reports", json=SPAM, headers={"X-Forwarded-For": f"198.51.100.{n}"}
            ).status_code
            for n in range(5)
        ]


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [("", [201, 201, 201, 429, 429]), ("127.0.0.1", [201] * 5)],
    ids=["no-trusted-proxy", "trusted-local-proxy"],
)
def test_forged_forwarded_for_is_believed_only_from_a_trusted_proxy(
    tmp_path: Path, trusted: str, expected: list[int]
) -> None:
    env = {
        "TAKEDOWN_DATABASE_URL": f"sqlite:///{tmp_path / 'takedown.db'}",
        "TAKEDOWN_DATA_DIR": str(tmp_path / "data"),
        "TAKEDOWN_REPORT_RATE_LIMIT": "3/minute",
        "TAKEDOWN_TRUSTED_PROXIES": trusted,
        "TAKEDOWN_RUN_WORKER": "0",
    }
    server = ServerProcess(tmp_path, env)
    try:
        server.start()
        assert _answers(server) == expected
    finally:
        server.stop()
