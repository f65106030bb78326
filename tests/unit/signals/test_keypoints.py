"""The crop-robust `orb` signal: crops of a picture find it, other pictures do not."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from takedown.signals import SIGNAL_TYPES, indexed_signals
from takedown.signals.hashing import hash_media
from takedown.signals.keypoints import ORB, KeypointIndex, agreeing
from takedown.signals.media import MediaLimits
from takedown.signals.pdq import MATCH_THRESHOLD, hamming
from tests.support.synthetic_media import encoded, synthetic_image

LIMITS = MediaLimits()


def orb_of(image: Image.Image) -> str:
    value = ORB.hash_file(encoded(image, "JPEG", quality=85), "image", LIMITS)
    assert value is not None
    return value


def crop(image: Image.Image, percent: int, corner: bool) -> Image.Image:
    """`percent` of the width and of the height removed: all from one corner, or shared."""
    width, height = image.size
    cut_w, cut_h = width * percent // 100, height * percent // 100
    left, top = (cut_w, cut_h) if corner else (cut_w // 2, cut_h // 3)
    return image.crop((left, top, width - (cut_w - left), height - (cut_h - top)))


def test_the_signal_is_registered_and_computed_for_every_image_upload() -> None:
    assert SIGNAL_TYPES["orb"] is ORB and ORB in indexed_signals()
    signals = hash_media(encoded(synthetic_image(7, (320, 240))), LIMITS)
    assert ORB.validate(signals.extra["orb"]) == signals.extra["orb"]
    assert ("orb", signals.extra["orb"], None) in signals.rows()
    assert signals.as_json()["orb"] == signals.extra["orb"]


@pytest.mark.parametrize("percent", [10, 20])
@pytest.mark.parametrize("corner", [False, True])
def test_crops_that_plain_pdq_loses_are_found(percent: int, corner: bool) -> None:
    images = [synthetic_image(4_000 + seed, (640, 480)) for seed in range(12)]
    index = KeypointIndex()
    index.add(list(range(len(images))), [orb_of(image) for image in images])
    found = 0
    for key, image in enumerate(images):
        cropped = crop(image, percent, corner)
        hits = index.search(orb_of(cropped), ORB.threshold)
        assert all(hit == key for hit, _ in hits), "a crop matched another picture"
        found += any(hit == key for hit, _ in hits)
        plain = hash_media(encoded(cropped, "JPEG", quality=85), LIMITS).pdq
        original = hash_media(encoded(image, "JPEG", quality=85), LIMITS).pdq
        assert plain and original and hamming(plain, original) > MATCH_THRESHOLD // 2
    assert found >= 10  # BENCHMARKS.md measures the rate on 1,000+ pictures


def test_unrelated_pictures_do_not_match() -> None:
    index = KeypointIndex()
    index.add(list(range(20)), [orb_of(synthetic_image(5_000 + s, (640, 480))) for s in range(20)])
    for seed in range(20):
        assert index.search(orb_of(synthetic_image(6_000 + seed, (640, 480))), ORB.threshold) == []


def test_a_shared_caption_in_one_corner_is_not_a_match() -> None:
    """Keypoints that agree inside one small patch (a logo, a caption) do not count."""
    patch = [(100 + i % 5, 100 + i // 5, 110 + i % 5, 110 + i // 5) for i in range(30)]
    assert agreeing(patch, (600, 400)) == 0
    spread = [
        (40 * (i % 10), 30 * (i // 10), 40 * (i % 10) + 7, 30 * (i // 10) + 9) for i in range(30)
    ]
    assert agreeing(spread, (400, 100)) == 30
    resized = [(x, y, round(x * 0.8) + 5, round(y * 0.8) + 5) for x, y, _, _ in spread]
    assert agreeing(resized, (400, 100)) == 30
    turned = [(x, y, 100 - y, x) for x, y, _, _ in spread]
    assert agreeing(turned, (400, 100)) == 0


def test_a_crop_of_a_large_picture_is_found_at_another_scale() -> None:
    image = synthetic_image(11, (1000, 750)).resize((2000, 1500))
    index = KeypointIndex()
    index.add([1], [orb_of(image)])
    cropped = image.crop((300, 200, 2000, 1500))  # 15% of the width, 13% of the height
    assert [k for k, _ in index.search(orb_of(cropped), ORB.threshold)] == [1]


def test_removed_entries_stop_matching() -> None:
    image = synthetic_image(8, (640, 480))
    index = KeypointIndex()
    index.add([1, 2], [orb_of(image), orb_of(synthetic_image(9, (640, 480)))])
    assert [k for k, _ in index.search(orb_of(crop(image, 10, True)), ORB.threshold)] == [1]
    index.remove([1])
    assert index.search(orb_of(crop(image, 10, True)), ORB.threshold) == []
    assert len(index) == 1


def test_a_flat_picture_has_no_value() -> None:
    flat = Image.new("RGB", (300, 200), (120, 120, 120))
    assert ORB.hash_file(encoded(flat), "image", LIMITS) is None
    assert "orb" not in hash_media(encoded(flat), LIMITS).extra


@pytest.mark.parametrize(
    "value",
    ["", "zz", "0" * 71, ",".join(["0" * 72] * 129), 42, None, "0" * 72 + ",xyz"],
)
def test_malformed_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="orb"):
        ORB.validate(value)


def test_values_are_canonical_lower_case() -> None:
    value = orb_of(synthetic_image(3, (320, 240)))
    assert ORB.validate(value.upper()) == value
    assert all(len(part) == 72 for part in value.split(","))
    assert np.unique([p[8:] for p in value.split(",")]).size > 12


@pytest.mark.parametrize(
    ("fmt", "mode", "decodes"),
    [("PNG", "RGB", 1), ("PNG", "P", 1), ("GIF", "P", 1), ("PNG", "RGBA", 1), ("JPEG", "RGB", 2)],
)
def test_hash_media_decodes_once_and_gets_the_files_orb(
    fmt: str, mode: str, decodes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """orb reads the picture PDQ decoded (a JPEG excepted: its grey decode is the luma
    channel itself, not RGB made grey) and gets the value hash_file gives for the file."""
    image = synthetic_image(41, (300, 200))
    if mode == "RGBA":
        image = image.convert("RGBA")
        image.putalpha(180)
    elif mode == "P":
        image = image.convert("P")
    data = encoded(image, fmt)
    expected = ORB.hash_file(data, "image", LIMITS)
    assert expected is not None

    import takedown.signals.keypoints as keypoints_module
    import takedown.signals.pdq as pdq_module

    opened: list[int] = []
    original = pdq_module.open_image

    def counting(data: bytes, limits: MediaLimits) -> Image.Image:
        opened.append(1)
        return original(data, limits)

    monkeypatch.setattr(pdq_module, "open_image", counting)
    monkeypatch.setattr(keypoints_module, "open_image", counting)
    assert hash_media(data).extra["orb"] == expected
    assert len(opened) == decodes
