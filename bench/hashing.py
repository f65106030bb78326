"""Hashing throughput: our pipeline against calling pdqhash directly, in the same run.

"Directly" is what threatexchange's PDQ hasher does: decode the whole image with Pillow and
hand the pixels to pdqhash. Ours decodes JPEGs at reduced size, also computes the eight
dihedral variants, and (for hash_media) MD5 and SHA-256.
"""

from __future__ import annotations

import io
import statistics
import time

import numpy as np
import pdqhash
from PIL import Image
from tests.support.synthetic_media import (
    encoded,
    scene_frames,
    synthetic_image,
    video_bytes,
)

from takedown.signals.hashing import hash_media
from takedown.signals.pdq import bits_to_hex, hamming, hash_image
from takedown.signals.vpdq import hash_video


def direct_pdq(data: bytes) -> tuple[str, int]:
    """The baseline: full decode, then pdqhash."""
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    bits, quality = pdqhash.compute(pixels)
    return bits_to_hex(bits), int(quality)


def per_second(function: object, files: list[bytes], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for data in files:
            function(data)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return len(files) / best


def median_ms(function: object, data: bytes, rounds: int = 15) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function(data)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(quick: bool = False) -> str:
    """The Hashing section as markdown; quick: fewer and smaller inputs (a smoke run)."""
    return "\n".join(lines(quick))


def lines(quick: bool = False) -> list[str]:
    """Each figure against its baseline in the same run: ratios are ours' speed over theirs."""
    count = 8 if quick else 40
    out = ["## Hashing", ""]
    sets = {
        "JPEG 1024x768 q85": [
            encoded(synthetic_image(s, (1024, 768)), "JPEG", quality=85) for s in range(count)
        ],
        "JPEG 1280x960 q85": [
            encoded(synthetic_image(s, (1280, 960)), "JPEG", quality=85) for s in range(count)
        ],
        "PNG 640x480 (under 400k px)": [
            encoded(synthetic_image(100 + s, (640, 480))) for s in range(count)
        ],
    }
    out += [
        f"Images a second, best of 3 rounds over {count} synthetic images, one thread, same run.",
        "",
        "| images | pdqhash directly (full decode) | ours: PDQ + 8 variants | ratio |"
        " ours: hash_media (PDQ, variants, MD5, SHA-256) | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, files in sets.items():
        base = per_second(direct_pdq, files)
        ours = per_second(hash_image, files)
        full = per_second(hash_media, files)
        out.append(
            f"| {name} | {base:.0f}/s | {ours:.0f}/s | {ours / base:.2f}x | {full:.0f}/s |"
            f" {full / base:.2f}x |"
        )

    big = synthetic_image(13, (2000, 1500) if quick else (4000, 3000))
    rows = []
    for quality in (85, 95):
        data = encoded(big, "JPEG", quality=quality)
        reference, _ = direct_pdq(data)
        ours_hash = hash_image(data).pdq
        rows.append(
            f"| {big.width}x{big.height} JPEG q{quality}, {len(data) / 1e6:.1f} MB | "
            f"{median_ms(direct_pdq, data, 5):.0f} ms | {median_ms(hash_image, data):.1f} ms | "
            f"{median_ms(hash_media, data):.1f} ms | {hamming(ours_hash, reference)} bits |"
        )
    out += [
        "",
        f"A {big.width}x{big.height} JPEG (median of 15 runs; the baseline of 5), decoded at"
        " reduced scale: PDQ only needs 64x64 after its blur.",
        "",
        "| file | pdqhash directly | ours: PDQ + variants | ours: hash_media | "
        "distance to the full-size hash |",
        "|---|---|---|---|---|",
        *rows,
    ]

    seconds = 10 if quick else 60
    video = video_bytes(scene_frames(5, seconds, 25), 25)
    out += [
        "",
        f"Video: a {seconds}-second 160x120 H.264 synthetic video at 25 fps"
        f" ({len(video) / 1e3:.0f} kB), median of 3; vpdq at the same sampling rate:",
        "",
        "| sampling | ours (PyAV decode + pdqhash, limits enforced) | vpdq.computeHash"
        " (Meta's C++, one thread) | ratio (vpdq time / ours) |",
        "|---|---|---|---|",
    ]
    try:
        import tempfile

        import vpdq

        with tempfile.NamedTemporaryFile(suffix=".mp4") as handle:
            handle.write(video)
            handle.flush()
            for per_hash in (1.0, 0.25):
                ours_video = median_ms(
                    lambda data, step=per_hash: hash_video(data, seconds_per_hash=step), video, 3
                )
                theirs = median_ms(
                    lambda _, step=per_hash: vpdq.computeHash(
                        handle.name, seconds_per_hash=step, thread_count=1
                    ),
                    video,
                    3,
                )
                out.append(
                    f"| {1 / per_hash:.0f} frames/s | {ours_video:.0f} ms | {theirs:.0f} ms |"
                    f" {theirs / ours_video:.2f}x |"
                )
    except ImportError:
        out.append("| vpdq package not installed | | | |")
    return [*out, ""]


if __name__ == "__main__":
    import sys

    print(run(quick="--quick" in sys.argv))
