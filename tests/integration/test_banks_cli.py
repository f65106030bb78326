"""`takedown bank ...` and `takedown scan` against the database, as an analyst runs them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from takedown.cli.main import app
from tests.support.synthetic_media import encoded, synthetic_image


def run(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        list(args),
        env={"TAKEDOWN_DATABASE_URL": database_url, "TAKEDOWN_DATA_DIR": str(tmp_path / "d")},
    )
    return result.exit_code, result.output


def test_bank_commands_and_scan(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    banked = synthetic_image(70)
    (folder / "known.png").write_bytes(encoded(banked, "PNG"))
    (folder / "known-small.jpg").write_bytes(encoded(banked.resize((100, 100)), "JPEG", quality=60))
    (folder / "other.png").write_bytes(encoded(synthetic_image(71), "PNG"))
    (folder / "notes.jpg").write_text("not an image")

    code, out = run(
        database_url,
        tmp_path,
        "bank",
        "create",
        "csam-test",
        "--action",
        "block",
        "--child-safety",
        "--description",
        "synthetic test bank",
    )
    assert code == 0, out
    from takedown.signals.hashing import hash_media

    pdq = hash_media(encoded(banked, "PNG")).pdq
    csv_file = tmp_path / "in.csv"
    csv_file.write_text(f"signal,value,note\npdq,{pdq},synthetic 70\n")
    code, out = run(database_url, tmp_path, "bank", "import", "csam-test", str(csv_file))
    assert code == 0 and "added 1 hashes" in out, out
    code, out = run(database_url, tmp_path, "bank", "export", "csam-test")
    assert code == 0 and out == f"signal,value,note\npdq,{pdq},synthetic 70\n"
    code, out = run(database_url, tmp_path, "bank", "list")
    assert code == 0 and "csam-test" in out and "block" in out

    code, out = run(database_url, tmp_path, "scan", str(folder), "--bank", "csam-test")
    assert code == 0, out
    assert (
        "known.png" in out
        and "known-small.jpg" in out
        and "other.png" not in out.split("matches in bank")[1].split("files hashed")[0]
    )
    assert "4 files hashed, 2 matches, 1 skipped" in out

    bad = tmp_path / "bad.csv"
    bad.write_text("pdq,xyz\n")
    code, out = run(database_url, tmp_path, "bank", "import", "csam-test", str(bad))
    assert code == 1 and "line 1" in out
    code, out = run(database_url, tmp_path, "scan", str(folder), "--bank", "nope")
    assert code == 1 and "no bank named" in out
