"""`takedown demo` as a newcomer runs it: both apps come up seeded, and it stops cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import TAKEDOWN, free_port, wait_until_ready

pytestmark = pytest.mark.slow


def wait_for(url: str, process: subprocess.Popen[str], timeout: float, needle: str = "") -> str:
    def exited() -> str | None:
        if process.poll() is None:
            return None
        return f"takedown demo exited early: {process.stdout.read() if process.stdout else ''}"

    return wait_until_ready(url, timeout, exited, needle)


def synthetic_png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (240, 180), (20, 80, 140))
    draw = ImageDraw.Draw(picture)
    for n in range(6):
        draw.ellipse((n * 30, n * 20, n * 30 + 70, n * 20 + 50), fill=(220, n * 40, 90))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def accepted_on_the_legal_page(base: str, folder: Path, case_id: str, lines: list[str]) -> None:
    """Confirm the case as the demo's admin; its CyberTipline filing, sent to the demo's
    sandbox, must read `accepted` on the legal page."""
    admin_key = json.loads((folder / "takedown-data" / "demo.json").read_text())["admin_key"]
    auth = {"Authorization": f"Bearer {admin_key}"}
    # The media is preserved by its own job, beside the webhook's: a reviewer decides once it
    # can be seen (deciding on unseen media is refused, `media_unseen`).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        kept = httpx.get(f"{base}/v1/cases/{case_id}", headers=auth).json()["evidence"]
        if kept and all(e["status"] == "stored" for e in kept):
            break
        time.sleep(0.1)  # waiting for another process's evidence job
    assert kept and all(e["status"] == "stored" for e in kept), kept
    decided = httpx.post(
        f"{base}/v1/cases/{case_id}/decision",
        json={"outcome": "violating", "policy": "csam", "reason": "confirmed in the demo"},
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=20,
    )
    assert decided.status_code == 200, decided.text
    deadline = time.monotonic() + 60
    filing: dict = {}
    while time.monotonic() < deadline:
        filing = (
            httpx.get(
                f"{base}/v1/cases/{case_id}", headers={"Authorization": f"Bearer {admin_key}"}
            ).json()["filing"]
            or {}
        )
        if filing.get("status") in ("accepted", "invalid", "failed"):
            break
        time.sleep(0.2)  # the demo's own worker files in the background
    assert filing.get("status") == "accepted", filing
    found = re.search(r"admin\s*│\s*admin\s*│\s*(\S+)\s*│", "".join(lines))
    assert found, "the demo did not print the admin's password"
    with httpx.Client(base_url=base, timeout=20) as browser:
        form = browser.get("/staff/login").text
        token = re.search(r'name="login_token" value="([^"]*)"', form)
        assert token
        signed_in = browser.post(
            "/staff/login",
            data={"name": "admin", "password": found.group(1), "login_token": token.group(1)},
        )
        assert signed_in.status_code == 303, signed_in.text
        page = browser.get("/staff/legal").text
    row = next(r for r in page.split("<tr") if case_id in r)
    assert "filing-accepted" in row and "<strong>accepted</strong>" in row


def test_takedown_demo_starts_both_apps_seeded_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, platform_port = free_port(), free_port()
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TAKEDOWN_DATABASE_URL", None)
    process = subprocess.Popen(
        [*TAKEDOWN, "demo", "--port", str(port), "--platform-port", str(platform_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Read the output as it comes: the admin's password is printed once, while it runs.
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(iter(process.stdout.readline, "")) if process.stdout else None,
        daemon=True,
    )
    reader.start()
    try:
        # Readiness first, on a loaded machine too: the demo seeds only once Takedown answers
        # /healthz, and this test reads the platform only once both answer.
        wait_for(f"http://127.0.0.1:{port}/healthz", process, 180)
        wait_for(f"http://127.0.0.1:{platform_port}/", process, 180)
        # Seeding registers posts through Takedown; the home page lists them with Report links.
        home = wait_for(f"http://127.0.0.1:{platform_port}/", process, 180, needle="Report")
        assert f"http://127.0.0.1:{port}/report?content_id=" in home
        # Seeding goes on in the background: wait until no post still waits for its verdict.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            posts = httpx.get(f"http://127.0.0.1:{platform_port}/api/posts").json()["posts"]
            if posts and all(p["state"] != "pending" for p in posts):
                break
            time.sleep(0.1)  # polling another process's background work, not a timed assertion
        # Pictures are allowed in the upload request; seeded videos wait for their hashing job.
        assert posts and all(p["verdict"] in ("allow", "hold") for p in posts)
        first = next(p["id"] for p in posts if p["verdict"] == "allow")
        # A new user's upload through the platform's own form is registered and published
        # (Takedown answers from the same process: the platform must not block its loop).
        made = httpx.post(
            f"http://127.0.0.1:{platform_port}/posts",
            data={"account": "newcomer", "caption": "my drawing"},
            files={"file": ("drawing.png", synthetic_png(), "image/png")},
            timeout=20,
        )
        assert made.status_code == 303 and made.headers["location"].startswith("/posts/p-")
        # The platform registered each post with Takedown before showing it.
        report = httpx.post(
            f"http://127.0.0.1:{port}/v1/reports",
            json={
                "content_id": first,
                "category": "child_sexual_exploitation",
                "reporter_role": "depicted_person",
                "depicts_minor": True,
            },
        ).json()
        assert report["content_state"] == "restricted"
        # The in-process worker delivers the signed webhook and the platform hides the post.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = httpx.get(f"http://127.0.0.1:{platform_port}/api/posts/{first}").json()
            if state["state"] == "restricted":
                break
            time.sleep(0.1)  # waiting for a real delivery between two processes' servers
        assert state["state"] == "restricted"
        accepted_on_the_legal_page(f"http://127.0.0.1:{port}", tmp_path, report["case_id"], lines)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
    output = "".join(lines)
    assert process.returncode == 0, output
    # Two leads: an appeal needs a lead who did not decide (issue 13, item 8).
    for name in ("reviewer", "lead", "lead2", "admin"):
        assert name in output
    assert "password" in output
    assert "a local sandbox" in output  # a demo never files with the real NCMEC
    assert (tmp_path / "takedown.db").exists()
    assert (tmp_path / "takedown-data" / "demo-platform.db").exists()
