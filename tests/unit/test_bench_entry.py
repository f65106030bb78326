"""`python -m bench` keeps the sections it did not run and replaces the ones it did."""

from __future__ import annotations

from pathlib import Path

import bench.__main__ as entry
import pytest


def _fake(name: str, line: str) -> entry.Section:
    return entry.Section(name, lambda opts: [f"## {name}", "", line])


def test_a_partial_run_replaces_its_section_and_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "BENCHMARKS.md"
    monkeypatch.setattr(entry, "SECTIONS", [_fake("alpha", "old alpha"), _fake("beta", "old beta")])
    assert entry.main(["--output", str(out)]) == 0
    monkeypatch.setattr(entry, "SECTIONS", [_fake("alpha", "new alpha"), _fake("beta", "new beta")])
    assert entry.main(["--sections", "beta", "--output", str(out)]) == 0
    text = out.read_text()
    assert "old alpha" in text and "new beta" in text and "old beta" not in text
    assert text.index("## alpha") < text.index("## beta")
    assert text.startswith("# Benchmarks")


def test_a_full_run_drops_sections_no_longer_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(entry.fenced("gone", ["## gone", "stale"]))
    monkeypatch.setattr(entry, "SECTIONS", [_fake("alpha", "a")])
    entry.main(["--output", str(out)])
    assert "stale" not in out.read_text()


def test_an_unknown_section_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry, "SECTIONS", [_fake("alpha", "a")])
    with pytest.raises(SystemExit) as exc:
        entry.main(["--sections", "nope", "--output", str(tmp_path / "x.md")])
    assert exc.value.code == 2
    assert not (tmp_path / "x.md").exists()


def test_each_section_says_which_command_measured_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "BENCHMARKS.md"
    monkeypatch.setattr(entry, "SECTIONS", [_fake("alpha", "a"), _fake("beta", "b")])
    entry.main(["--output", str(out)])
    entry.main(["--sections", "beta", "--quick", "--output", str(out)])
    text = out.read_text()
    alpha = text[text.index("<!-- bench:alpha -->") : text.index("<!-- /bench:alpha -->")]
    beta = text[text.index("<!-- bench:beta -->") : text.index("<!-- /bench:beta -->")]
    assert "`python -m bench --sections alpha`" in alpha
    assert "`python -m bench --sections beta --quick`" in beta
    assert "--quick" not in alpha  # the partial quick run did not restamp what it kept
