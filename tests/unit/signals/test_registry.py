"""The signal registry is where the rest of the code learns what a signal is (issue 11)."""

from __future__ import annotations

import pytest

from takedown.signals import SIGNAL_TYPES, exact_signals, signal_type
from takedown.signals.hashing import PDQ_DIHEDRAL, hash_media
from tests.support.synthetic_media import encoded, synthetic_image


def test_the_registry_names_the_signals_and_which_are_exact() -> None:
    assert set(SIGNAL_TYPES) == {"pdq", "vpdq", "md5", "sha256", "orb"}
    assert exact_signals() == ("md5", "sha256")
    with pytest.raises(ValueError, match="known signals: md5, orb, pdq, sha256, vpdq"):
        signal_type("photodna")


def test_only_pdq_has_a_quality_floor_and_it_is_the_configured_one() -> None:
    pdq = signal_type("pdq")
    assert not pdq.acts_alone(40, 50) and pdq.acts_alone(40, 30) and pdq.acts_alone(None, 50)
    for name in ("md5", "sha256", "vpdq"):
        assert signal_type(name).acts_alone(0, 50)


def test_stored_rows_are_registered_signals_in_canonical_form() -> None:
    signals = hash_media(encoded(synthetic_image(3), "PNG"))
    rows = signals.rows()
    assert [name for name, _, _ in rows] == ["md5", "sha256", "pdq", PDQ_DIHEDRAL, "orb"]
    for name, value, quality in rows:
        if name == PDQ_DIHEDRAL:
            assert len(value.split(",")) == 7 and quality == signals.pdq_quality
            continue
        assert signal_type(name).validate(value) == value
