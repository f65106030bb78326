"""`takedown exchange add|list|fetch|status` with python-threatexchange's local file exchange,
whose whole list is read each fetch: a line removed from the file retires its hash."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from takedown.cli.main import app
from takedown.store.banks import BankHash
from takedown.store.database import make_engine

A, B, C = ("a1" * 32, "b2" * 32, "c3" * 32)


def run(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        list(args),
        env={"TAKEDOWN_DATABASE_URL": database_url, "TAKEDOWN_DATA_DIR": str(tmp_path / "d")},
    )
    return result.exit_code, result.output


def test_exchange_commands_over_a_local_file(database_url: str, tmp_path: Path) -> None:
    hashes = tmp_path / "list.txt"
    hashes.write_text(f"pdq {A}\npdq {B}\nnot_a_signal x\n")
    config = json.dumps({"filename": str(hashes)})

    code, out = run(
        database_url, tmp_path, "exchange", "add", "LOCAL_LIST", "--api", "local_file",
        "--config", config,
    )  # fmt: skip
    assert code == 0, out
    code, out = run(database_url, tmp_path, "exchange", "add", "bad name", "--api", "local_file")
    assert code == 1 and "must match" in out

    code, out = run(database_url, tmp_path, "exchange", "fetch", "LOCAL_LIST")
    assert code == 0 and "1 pages" in out, out
    code, out = run(database_url, tmp_path, "exchange", "list")
    assert out.split() == ["LOCAL_LIST", "local_file", "enabled", "2", "items"]

    hashes.write_text(f"pdq {B}\npdq {C}\n")  # A withdrawn from the list, C added
    assert run(database_url, tmp_path, "exchange", "fetch", "LOCAL_LIST")[0] == 0
    code, out = run(database_url, tmp_path, "exchange", "status", "LOCAL_LIST")
    status = json.loads(out)["LOCAL_LIST"]
    assert status["fetched_items"] == 2 and status["last_fetch_succeeded"] is True
    assert status["last_error"] is None and status["lag_seconds"] is None  # files have no time

    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(BankHash.value, BankHash.retired_at)).all()
    engine.dispose()
    assert {value: retired is None for value, retired in rows} == {A: False, B: True, C: True}

    code, out = run(database_url, tmp_path, "exchange", "fetch", "NOPE")
    assert code == 1 and "NOPE" in out
