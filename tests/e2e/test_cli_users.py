"""`takedown users list` and `takedown users reset-password NAME` (issue 13, item 8)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from takedown.services import access
from takedown.store.database import make_engine
from tests.e2e.test_cli import env_for
from tests.support.server import TAKEDOWN, cli

pytestmark = pytest.mark.slow


def authenticates(database_url: str, name: str, password: str) -> bool:
    from sqlalchemy.orm import Session

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return access.authenticate_user(session, name, password) is not None
    finally:
        engine.dispose()


def test_list_and_reset_a_forgotten_password(tmp_path: Path, database_url: str) -> None:
    env = env_for(tmp_path, database_url)
    assert "no staff users yet" in cli("users", "list", cwd=tmp_path, env=env)
    for name, role in (("lena", "lead"), ("rita", "reviewer")):
        cli(
            "users",
            "create",
            name,
            "--role",
            role,
            "--password-stdin",
            cwd=tmp_path,
            env=env,
            stdin="the first password\n",
        )
    listed = cli("users", "list", cwd=tmp_path, env=env).splitlines()
    assert [line.split() for line in listed] == [
        ["lena", "lead", "active"],
        ["rita", "reviewer", "active"],
    ]

    out = cli("users", "reset-password", "lena", cwd=tmp_path, env=env)
    new = out.rstrip("\n").splitlines()[-1]
    assert len(new) >= 12 and " " not in new
    assert authenticates(database_url, "lena", new)
    assert not authenticates(database_url, "lena", "the first password")
    assert authenticates(database_url, "rita", "the first password")

    chosen = cli(
        "users",
        "reset-password",
        "rita",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin="a chosen new password\n",
    )
    assert "a chosen new password" not in chosen
    assert authenticates(database_url, "rita", "a chosen new password")


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["nobody"], None, "no staff user named"),
        (["lena", "--password-stdin"], "short\n", "12 characters"),
    ],
)
def test_a_bad_reset_exits_non_zero_and_changes_nothing(
    tmp_path: Path, database_url: str, args: list[str], stdin: str | None, says: str
) -> None:
    env = env_for(tmp_path, database_url)
    cli(
        "users",
        "create",
        "lena",
        "--role",
        "lead",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin="the first password\n",
    )
    done = subprocess.run(
        [*TAKEDOWN, "users", "reset-password", *args],
        cwd=tmp_path,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and says in done.stderr
    assert authenticates(database_url, "lena", "the first password")
