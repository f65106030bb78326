"""The rules for which bank matches may act: suppression vetoes and flood quarantine."""

from __future__ import annotations

from takedown.domain.match_quality import floods, vetoed


def test_suppression_vetoes_perceptual_matches_only_an_exact_one_vetoes_a_digest() -> None:
    assert not vetoed("pdq", [])
    assert vetoed("pdq", ["pdq"]) and vetoed("vpdq", ["pdq"])
    # A benign look-alike cannot excuse the very file that was banked.
    assert not vetoed("md5", ["pdq"]) and not vetoed("sha256", ["vpdq"])
    assert vetoed("md5", ["sha256"])


def test_an_entry_floods_past_its_limit_and_zero_turns_quarantine_off() -> None:
    assert not floods(3, 3) and floods(4, 3)
    assert not floods(10_000, 0)
