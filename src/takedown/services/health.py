"""Whether this process can do its work: the database answers and the data folder takes writes.

`/healthz` (liveness, API.md: 200 when the database answers) and `/readyz` (readiness, for a
load balancer: also the data folder, where evidence and held videos are written) both use this,
so an operator reads the same words in both (issue 10.8: they said "ok" while the database was
gone and reports were failing on a full disk).
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

OK = "ok"
# Below this much free space the data folder is reported full: evidence files and held videos
# are written there, and a write that fails half-way is worse than a request refused early.
MIN_FREE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    name: str
    problem: str | None  # None when healthy; otherwise a short, operator-facing sentence
    code: str = OK


def database(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        # The driver's message may carry a host or user name: the class name says enough here,
        # and the full error goes to the process log.
        why = type(getattr(exc, "orig", None) or exc).__name__
        return Check("database", f"the database does not answer ({why})", "database_unavailable")
    return Check("database", None)


def data_folder(path: Path, min_free: int = MIN_FREE_BYTES) -> Check:
    try:
        path.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(path).free
        probe = path / f".ready-{uuid.uuid4().hex}"
        with probe.open("wb") as handle:
            handle.write(b"ready")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return Check("data_folder", "the data folder's disk is full", "disk_full")
        return Check(
            "data_folder",
            f"the data folder cannot be written ({exc.strerror})",
            "data_folder_unwritable",
        )
    if free < min_free:
        return Check(
            "data_folder",
            f"the data folder's disk has {free} bytes free, under {min_free}",
            "disk_full",
        )
    return Check("data_folder", None)
