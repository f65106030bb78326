"""Settings, read from `TAKEDOWN_<OPTION>` environment variables with the CLI overriding them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TAKEDOWN_{name}", default)


def _flag(name: str) -> bool:
    """A setting that is on unless it says 0, false or no."""
    return _env(name, "1") not in ("0", "false", "no")


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    data_dir: Path = Path("takedown-data")
    public_url: str = ""
    report_rate_limit: str = "20/minute"
    # memory:// counts per process; redis://127.0.0.1:6379 shares the count between processes.
    rate_limit_storage: str = "memory://"
    # Public side (issue 6): per-reporter limit for reporters known by account or email, the
    # pages allowed to embed the report form, and SMTP for reporters' update emails (off when
    # no host is set).
    reporter_rate_limit: str = "60/hour"
    # Who counts as a reporter, and limits (issue 10 findings 2, 3, 5, 6; issue 13 item 1):
    # proxies whose X-Forwarded-For is believed (none by default: the peer is the client), the
    # child-safety reports' own per-address budget, how many items one hash-only report may
    # hide at once, and the staff log-in throttle.
    trusted_proxies: str = ""
    child_safety_rate_limit: str = "30/hour"
    hash_report_restrict_max: int = 5
    login_failures_free: int = 5
    login_address_failures_free: int = 20
    # Only the report form and its confirmation may be framed, and by default only by Takedown's
    # own pages: list a platform's origin here to embed the form (issue 10.9).
    report_frame_ancestors: str = "'self'"
    # Addresses or CIDR ranges (the TCP peer) allowed to read /metrics without an API key; with
    # none listed, /metrics needs a `lead` or `admin` key (issue 10.9).
    metrics_allow: str = ""
    # Uploads decoded and hashed at the same time (each may cost a few times its size in memory).
    upload_concurrency: int = 4
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "takedown@localhost"
    run_worker: bool = True
    # uvicorn's access log, one line a request (tokens redacted, api.access_log). Off where a
    # proxy in front logs requests already: it was about 14% of a report's CPU (issue 15).
    access_log: bool = True
    worker_poll_seconds: float = 0.2
    # `serve --processes N`: an API process that leaves a ping unanswered this long is replaced.
    process_health_seconds: float = 30.0
    sweep_interval_seconds: float = 5.0
    # Jobs run at once per queue by a worker (in-process or `takedown worker`).
    worker_concurrency: int = 2
    # `redis://…` or `amqp://…`: jobs go from the outbox to this broker and `takedown worker`
    # processes run them; empty, the in-process worker runs them (API.md, "Scale-out").
    broker_url: str = field(default="", repr=False)
    # Keeps installations (or test runs) sharing one broker apart: Redis keys, RabbitMQ queues.
    broker_namespace: str = "takedown"
    webhook_timeout_seconds: float = 10.0
    webhook_retry_hours: float = 72.0
    pdq_threshold: int = 31
    pdq_quality_min: int = 50
    secret_key: str = field(default="", repr=False)
    # Decision deadlines per priority, in minutes (DESIGN.md's table is the default).
    deadline_minutes: dict[str, int] = field(
        default_factory=lambda: {"P0": 60, "P1": 240, "P2": 1440, "P3": 4320}
    )
    # Review: a claimed case is released after this many minutes without activity (issue 4).
    claim_idle_minutes: int = 15
    # Enforcement, evidence and CyberTipline filing (issue 5; services.enforcement/evidence/filing).
    strike_threshold: int = 3
    evidence_key: str = field(default="", repr=False)
    evidence_fetch_max_bytes: int = 100 * 1024 * 1024
    # Hosts, addresses and CIDR ranges media may be fetched from besides public addresses
    # (takedown.fetching; issue 10.4).
    fetch_allow: str = ""
    evidence_retention_days: int = 90
    csam_retention_days: int = 365
    ncmec_url: str = ""
    ncmec_username: str = ""
    ncmec_password: str = field(default="", repr=False)
    ncmec_retry_days: float = 30.0
    ncmec_reporter_name: str = "Trust and Safety"
    ncmec_reporter_email: str = ""
    # Oversight (issue 14): the most media reveals one reviewer may make in a UTC day, as a
    # wellness limit (0: no limit); leads and admins change it on /staff/dashboard.
    reveal_daily_cap: int = 100
    # The EU DSA Transparency Database's API (https://transparency.dsa.ec.europa.eu): when a
    # URL is set, every statement of reasons is submitted there in batches through the outbox.
    dsa_api_url: str = ""
    dsa_api_token: str = field(default="", repr=False)
    # Match quality and the HMA-compatible API (issue 11): a bank entry matching more than this
    # many distinct items in an hour is quarantined (0: never); networks whose /hma calls need
    # no key, because HMA's clients send none (comma-separated CIDRs; default none).
    bank_flood_limit: int = 100
    hma_open_from: tuple[str, ...] = ()
    # Hash exchanges (issue 11, item 2): how often each enabled exchange is fetched, and where
    # the NCMEC hash-sharing API and StopNCII live when not at their public addresses (a test
    # or staging server; StopNCII credentials may also carry their own base_url_override).
    exchange_fetch_seconds: float = 240.0
    ncmec_hash_sharing_url: str = ""
    stopncii_url: str = ""
    # ThreatExchange's Graph API root (empty: python-threatexchange's graph.facebook.com/vNN).
    threatexchange_url: str = ""
    # StopNCII's SubmitFeedback function key (empty: the fetch function key is used).
    stopncii_feedback_key: str = field(default="", repr=False)

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("DATA_DIR", "takedown-data"))
        return cls(
            database_url=_env("DATABASE_URL", ""),
            data_dir=data_dir,
            public_url=_env("PUBLIC_URL", ""),
            report_rate_limit=_env("REPORT_RATE_LIMIT", "20/minute"),
            rate_limit_storage=_env("RATE_LIMIT_STORAGE", "memory://"),
            reporter_rate_limit=_env("REPORTER_RATE_LIMIT", "60/hour"),
            trusted_proxies=_env("TRUSTED_PROXIES", ""),
            child_safety_rate_limit=_env("CHILD_SAFETY_RATE_LIMIT", "30/hour"),
            hash_report_restrict_max=int(_env("HASH_REPORT_RESTRICT_MAX", "5")),
            login_failures_free=int(_env("LOGIN_FAILURES_FREE", "5")),
            login_address_failures_free=int(_env("LOGIN_ADDRESS_FAILURES_FREE", "20")),
            report_frame_ancestors=_env("REPORT_FRAME_ANCESTORS", "'self'"),
            metrics_allow=_env("METRICS_ALLOW", ""),
            upload_concurrency=int(_env("UPLOAD_CONCURRENCY", "4")),
            smtp_host=_env("SMTP_HOST", ""),
            smtp_port=int(_env("SMTP_PORT", "25")),
            smtp_from=_env("SMTP_FROM", "takedown@localhost"),
            run_worker=_flag("RUN_WORKER"),
            access_log=_flag("ACCESS_LOG"),
            worker_poll_seconds=float(_env("WORKER_POLL_SECONDS", "0.2")),
            process_health_seconds=float(_env("PROCESS_HEALTH_SECONDS", "30")),
            sweep_interval_seconds=float(_env("SWEEP_INTERVAL_SECONDS", "5")),
            worker_concurrency=int(_env("WORKER_CONCURRENCY", "2")),
            broker_url=_env("BROKER_URL", ""),
            broker_namespace=_env("BROKER_NAMESPACE", "takedown"),
            webhook_timeout_seconds=float(_env("WEBHOOK_TIMEOUT_SECONDS", "10")),
            webhook_retry_hours=float(_env("WEBHOOK_RETRY_HOURS", "72")),
            pdq_threshold=int(_env("PDQ_THRESHOLD", "31")),
            pdq_quality_min=int(_env("PDQ_QUALITY_MIN", "50")),
            secret_key=_env("SECRET_KEY", ""),
            deadline_minutes={
                p: int(_env(f"DEADLINE_{p}_MINUTES", str(m)))
                for p, m in {"P0": 60, "P1": 240, "P2": 1440, "P3": 4320}.items()
            },
            claim_idle_minutes=int(_env("CLAIM_IDLE_MINUTES", "15")),
            strike_threshold=int(_env("STRIKE_THRESHOLD", "3")),
            evidence_key=_env("EVIDENCE_KEY", ""),
            evidence_fetch_max_bytes=int(_env("EVIDENCE_FETCH_MAX_BYTES", str(100 * 1024 * 1024))),
            fetch_allow=_env("FETCH_ALLOW", ""),
            evidence_retention_days=int(_env("EVIDENCE_RETENTION_DAYS", "90")),
            csam_retention_days=int(_env("CSAM_RETENTION_DAYS", "365")),
            ncmec_url=_env("NCMEC_URL", ""),
            ncmec_username=_env("NCMEC_USERNAME", ""),
            ncmec_password=_env("NCMEC_PASSWORD", ""),
            ncmec_retry_days=float(_env("NCMEC_RETRY_DAYS", "30")),
            ncmec_reporter_name=_env("NCMEC_REPORTER_NAME", "Trust and Safety"),
            ncmec_reporter_email=_env("NCMEC_REPORTER_EMAIL", ""),
            reveal_daily_cap=int(_env("REVEAL_DAILY_CAP", "100")),
            dsa_api_url=_env("DSA_API_URL", ""),
            dsa_api_token=_env("DSA_API_TOKEN", ""),
            bank_flood_limit=int(_env("BANK_FLOOD_LIMIT", "100")),
            hma_open_from=tuple(
                n.strip() for n in _env("HMA_OPEN_FROM", "").split(",") if n.strip()
            ),
            exchange_fetch_seconds=float(_env("EXCHANGE_FETCH_SECONDS", "240")),
            ncmec_hash_sharing_url=_env("NCMEC_HASH_SHARING_URL", ""),
            stopncii_url=_env("STOPNCII_URL", ""),
            threatexchange_url=_env("THREATEXCHANGE_URL", ""),
            stopncii_feedback_key=_env("STOPNCII_FEEDBACK_KEY", ""),
        )

    def resolved(self) -> Settings:
        """Fill in what depends on other settings: the default SQLite file and a secret key."""
        url = self.database_url or "sqlite:///takedown.db"
        secret = self.secret_key or _load_or_create_secret(self.data_dir)
        evidence_key = self.evidence_key or _load_or_create_evidence_key(self.data_dir)
        return replace(self, database_url=url, secret_key=secret, evidence_key=evidence_key)


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


def _load_or_create_evidence_key(data_dir: Path) -> str:
    """The embedded default's evidence key: a file in the data folder, never in the database.

    Production sets TAKEDOWN_EVIDENCE_KEY (base64 of 32 random bytes) from a secret store, so
    that the key does not sit next to the encrypted files it opens.
    """
    import base64
    import secrets

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "evidence.key"
    if path.exists():
        return path.read_text().strip()
    value = base64.b64encode(secrets.token_bytes(32)).decode()
    path.write_text(value)
    path.chmod(0o600)
    return value
