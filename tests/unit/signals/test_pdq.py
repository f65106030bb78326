"""PDQ hashing: format, distance, reduced-size decoding, dihedral variants."""

from __future__ import annotations

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageOps

from takedown.signals import SIGNAL_TYPES, signal_type
from takedown.signals.hashing import hash_media
from takedown.signals.pdq import bits_to_hex, hamming, hash_image, validate
from tests.support.synthetic_media import encoded, synthetic_image


def test_hamming_counts_differing_bits() -> None:
    zero = "0" * 64
    assert hamming(zero, zero) == 0
    assert hamming(zero, "f" + "0" * 63) == 4
    assert hamming(zero, "F" * 64) == 256


@pytest.mark.parametrize("bad", ["", "0" * 63, "0" * 65, "g" * 64, 12, None, "0" * 62 + " 0"])
def test_validate_refuses_what_is_not_64_hex_digits(bad: object) -> None:
    with pytest.raises(ValueError):
        validate(bad)


def test_validate_normalises_case() -> None:
    assert validate("AB" * 32) == "ab" * 32


def test_hex_layout_matches_threatexchange() -> None:
    # threatexchange writes the bit vector as one binary number, first bit most significant.
    bits = [1, 0, 0, 0] + [0] * 252
    assert bits_to_hex(bits) == "8" + "0" * 63
    pixels = np.asarray(synthetic_image(11), dtype=np.uint8)
    vector, _ = pdqhash.compute(pixels)
    expected = f"{int(''.join(str(int(b)) for b in vector), 2):064x}"
    assert bits_to_hex(vector) == expected


def test_image_signals_json_has_the_api_names() -> None:
    signals = hash_media(encoded(synthetic_image(12)))
    body = signals.as_json()
    assert set(body) == {"pdq", "pdq_quality", "md5", "sha256", "orb"}
    assert len(body["pdq"]) == 64 and len(body["md5"]) == 32 and len(body["sha256"]) == 64
    assert body["pdq_quality"] >= 50
    assert len(signals.pdq_variants) == 8 and signals.pdq_variants[0] == signals.pdq


def test_reduced_size_decode_stays_within_8_bits_of_full_size() -> None:
    image = synthetic_image(13, (4000, 3000))
    jpeg = encoded(image, "JPEG", quality=90)
    full = np.asarray(Image.open(__import__("io").BytesIO(jpeg)).convert("RGB"))
    full_hash = bits_to_hex(pdqhash.compute(full)[0])
    reduced = hash_image(jpeg)
    assert hamming(reduced.pdq, full_hash) <= 8


def test_variants_include_the_mirrored_and_rotated_image() -> None:
    image = synthetic_image(14)
    variants = hash_image(encoded(image)).variants
    for turned in (ImageOps.mirror(image), image.rotate(90, expand=True), ImageOps.flip(image)):
        turned_hash = hash_image(encoded(turned)).pdq
        assert min(hamming(turned_hash, v) for v in variants) <= 8


def test_greyscale_and_transparent_images_hash() -> None:
    image = synthetic_image(15)
    grey = hash_image(encoded(image.convert("L")))
    rgba = image.convert("RGBA")
    rgba.putalpha(200)
    assert hamming(grey.pdq, hash_image(encoded(image)).pdq) <= 31
    assert hash_image(encoded(rgba)).quality >= 50


def test_signal_types_are_registered_by_name() -> None:
    assert set(SIGNAL_TYPES) == {"pdq", "vpdq", "md5", "sha256", "orb"}
    assert signal_type("md5").validate("A" * 32) == "a" * 32
    assert signal_type("sha256").exact and not signal_type("pdq").exact
    with pytest.raises(ValueError, match="unknown signal"):
        signal_type("tmk")
