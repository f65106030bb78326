"""Takedown and the demo platform in one process, around one ManualClock.

Each app keeps its own database and talks to the other only over HTTP: the platform's Takedown
client is a test client bound to the Takedown app, and the worker's HTTP client is one bound to
the platform app, so webhooks are real signed POSTs that the platform verifies. Nothing sleeps:
the replay moves the clock and drains the worker.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from takedown.app import create_app
from takedown.clock import ManualClock
from takedown.config import Settings
from takedown.demo.platform import Platform, PlatformConfig, TakedownClient, create_platform_app
from takedown.runtime import Runtime
from takedown.services.access import create_api_key

TAKEDOWN_BASE = "http://takedown.replay"
PLATFORM_BASE = "http://platform.replay"


@dataclass(frozen=True)
class CyberTipline:
    """Where the replay files CyberTipline reports (a fake one in tests); none by default."""

    url: str
    username: str = "replay"
    password: str = "replay"
    reporter_email: str = "trust-and-safety@platform.example"

    def settings(self) -> dict[str, Any]:
        return {
            "ncmec_url": self.url,
            "ncmec_username": self.username,
            "ncmec_password": self.password,
            "ncmec_reporter_email": self.reporter_email,
        }


@dataclass
class Stage:
    clock: ManualClock
    runtime: Runtime
    takedown: TestClient
    platform: Platform
    platform_http: TestClient
    keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        workdir: Path,
        start: datetime,
        database_url: str | None = None,
        cybertipline: CyberTipline | None = None,
    ) -> Stage:
        workdir.mkdir(parents=True, exist_ok=True)
        clock = ManualClock(start)
        settings = Settings(
            database_url=database_url or f"sqlite:///{workdir / 'takedown.db'}",
            data_dir=workdir / "takedown-data",
            public_url=TAKEDOWN_BASE,
            run_worker=False,
            secret_key=secrets.token_urlsafe(32),
            report_rate_limit="100000/minute",
            fetch_allow=httpx.URL(PLATFORM_BASE).host,  # evidence comes from the platform app
            **(cybertipline.settings() if cybertipline else {}),
        )
        runtime = Runtime.build(settings, clock)
        takedown = TestClient(
            create_app(runtime, run_worker=False),
            base_url=TAKEDOWN_BASE,
            raise_server_exceptions=False,  # a 500 is reported in the timeline, not raised
        )
        # Entered once, so that every request reuses one event-loop thread instead of a new one.
        takedown.__enter__()
        with runtime.transaction() as session:
            platform_key = create_api_key(session, "demo-platform", "platform", clock.now())
        secret = "whsec-" + secrets.token_urlsafe(24)
        platform = Platform(
            config=PlatformConfig(
                database_url=f"sqlite:///{workdir / 'platform.db'}",
                public_url=PLATFORM_BASE,
                takedown_public_url=TAKEDOWN_BASE,
                webhook_secret=secret,
            ),
            takedown=TakedownClient(takedown, platform_key),
            now=clock.now,
        )
        platform_http = TestClient(
            create_platform_app(platform), base_url=PLATFORM_BASE, raise_server_exceptions=False
        )
        platform_http.__enter__()
        # The worker's outbound HTTP: the platform's host goes to the platform app in this
        # process (webhooks, evidence fetches); anything else (a CyberTipline) to the network.
        # TestClient's transport is the supported way to call an app in process synchronously.
        runtime.worker.http = httpx.Client(
            mounts={PLATFORM_BASE: platform_http._transport},
            timeout=settings.webhook_timeout_seconds,
        )
        platform.takedown.register_webhook(f"{PLATFORM_BASE}/hooks/takedown", secret)
        return cls(clock, runtime, takedown, platform, platform_http, {"platform": platform_key})

    def staff_key(self, name: str, role: str) -> dict[str, str]:
        """An API key per staff member: events name them, and two-person rules compare names."""
        if name not in self.keys:
            with self.runtime.transaction() as session:
                self.keys[name] = create_api_key(session, name, role, self.clock.now())
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def auditor(self) -> dict[str, str]:
        return self.staff_key("replay-auditor", "admin")

    def get(self, path: str) -> Any:
        response = self.takedown.get(path, headers=self.auditor())
        return response.json() if response.status_code == 200 else None

    def close(self) -> None:
        self.runtime.worker.http.close()
        self.platform_http.__exit__(None, None, None)
        self.takedown.__exit__(None, None, None)  # its lifespan closes the runtime
        self.runtime.close()
        self.platform.engine.dispose()
