"""Settings, read from `TAKEDOWN_<OPTION>` environment variables with the CLI overriding them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TAKEDOWN_{name}", default)


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    data_dir: Path = Path("takedown-data")
    public_url: str = ""
    report_rate_limit: str = "20/minute"
    run_worker: bool = True
    worker_poll_seconds: float = 0.2
    sweep_interval_seconds: float = 5.0
    webhook_timeout_seconds: float = 10.0
    webhook_retry_hours: float = 72.0
    pdq_threshold: int = 31
    pdq_quality_min: int = 50
    secret_key: str = field(default="", repr=False)
    # Decision deadlines per priority, in minutes (DESIGN.md's table is the default).
    deadline_minutes: dict[str, int] = field(
        default_factory=lambda: {"P0": 60, "P1": 240, "P2": 1440, "P3": 4320}
    )

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("DATA_DIR", "takedown-data"))
        return cls(
            database_url=_env("DATABASE_URL", ""),
            data_dir=data_dir,
            public_url=_env("PUBLIC_URL", ""),
            report_rate_limit=_env("REPORT_RATE_LIMIT", "20/minute"),
            run_worker=_env("RUN_WORKER", "1") not in ("0", "false", "no"),
            worker_poll_seconds=float(_env("WORKER_POLL_SECONDS", "0.2")),
            sweep_interval_seconds=float(_env("SWEEP_INTERVAL_SECONDS", "5")),
            webhook_timeout_seconds=float(_env("WEBHOOK_TIMEOUT_SECONDS", "10")),
            webhook_retry_hours=float(_env("WEBHOOK_RETRY_HOURS", "72")),
            pdq_threshold=int(_env("PDQ_THRESHOLD", "31")),
            pdq_quality_min=int(_env("PDQ_QUALITY_MIN", "50")),
            secret_key=_env("SECRET_KEY", ""),
            deadline_minutes={
                p: int(_env(f"DEADLINE_{p}_MINUTES", str(m)))
                for p, m in {"P0": 60, "P1": 240, "P2": 1440, "P3": 4320}.items()
            },
        )

    def resolved(self) -> Settings:
        """Fill in what depends on other settings: the default SQLite file and a secret key."""
        url = self.database_url or "sqlite:///takedown.db"
        secret = self.secret_key or _load_or_create_secret(self.data_dir)
        return replace(self, database_url=url, secret_key=secret)


def _load_or_create_secret(data_dir: Path) -> str:
    """A per-installation secret kept in the data folder, so sessions survive restarts."""
    import secrets

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
