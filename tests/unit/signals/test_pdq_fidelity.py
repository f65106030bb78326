"""Issue 11: our PDQ and its variants stay within 2 bits of pdqhash on the full pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from takedown.signals import pdq_kernel
from takedown.signals.pdq import TURNS, hamming, hash_image, hash_pixels, hash_with_variants
from tests.support.synthetic_media import encoded, synthetic_image


def picture(seed: int, size: tuple[int, int]) -> Image.Image:
    return synthetic_image(seed, (size[0] // 2, size[1] // 2)).resize(size)


def turned_reference(pixels: np.ndarray) -> list[str]:
    return [hash_pixels(np.ascontiguousarray(turn(pixels)))[0] for turn in TURNS]


@pytest.mark.parametrize("size", [(64, 64), (301, 199), (800, 600), (1000, 760)])
def test_variants_equal_the_hashes_of_the_turned_pixels(size: tuple[int, int]) -> None:
    """Including 400k-pixel images, where pdqhash's DCT shortcut was up to 30 bits off."""
    pixels = np.asarray(picture(11, size), dtype=np.uint8)
    ours = hash_with_variants(pixels)
    assert ours.pdq == hash_pixels(pixels)[0]
    distances = [
        hamming(a, b) for a, b in zip(ours.variants[1:], turned_reference(pixels), strict=True)
    ]
    assert max(distances) <= 1, distances
    # The variants are all different images' hashes, not the original's copied.
    assert len(set(ours.variants)) == 8


def test_the_kernel_gives_pdqhash_on_full_pixels() -> None:
    pixels = np.asarray(picture(12, (700, 500)), dtype=np.uint8)
    hex_hash, quality, _ = pdq_kernel.hash_luma(pdq_kernel.luma(pixels), (700, 500))
    assert hamming(hex_hash, hash_pixels(pixels)[0]) <= 1
    assert abs(quality - hash_pixels(pixels)[1]) <= 1


@pytest.mark.slow
@pytest.mark.parametrize(("size", "fmt"), [((2048, 1536), "JPEG"), ((1300, 2100), "PNG")])
def test_a_large_image_decoded_at_reduced_size_hashes_like_the_full_image(
    size: tuple[int, int], fmt: str
) -> None:
    data = encoded(picture(13, size), fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    full = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)
    ours = hash_image(data)
    assert hamming(ours.pdq, hash_pixels(full)[0]) <= 2
    distances = [
        hamming(a, b) for a, b in zip(ours.variants[1:], turned_reference(full), strict=True)
    ]
    assert max(distances) <= 2, distances
