"""How far cropping can go before plain PDQ loses a match (issue #3: measure, then improve).

Synthetic images are cropped by a growing share of their width and height, both from all
sides (centred, keeping the middle) and from one corner (keeping the top-left), and hashed
like uploads; a crop still matches when its PDQ is within 31 bits of the original's.
"""

from __future__ import annotations

import statistics

from tests.support.synthetic_media import encoded, synthetic_image

from takedown.signals.pdq import MATCH_THRESHOLD, hamming, hash_image

PERCENTS = [0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 30]
COUNT = 100
SIZE = (640, 480)


def run() -> list[str]:
    images = [synthetic_image(50_000 + seed, SIZE) for seed in range(COUNT)]
    originals = [hash_image(encoded(image)).pdq for image in images]
    lines = [
        "## Cropping",
        "",
        f"{COUNT} synthetic {SIZE[0]}x{SIZE[1]} images; crop = share of width and of height"
        " removed. Match rate at distance <= 31 and the median distance.",
        "",
        "| crop | centred: matched | centred: median bits | one corner: matched |"
        " one corner: median bits |",
        "|---|---|---|---|---|",
    ]
    for percent in PERCENTS:
        centred, corner = [], []
        for image, original in zip(images, originals, strict=True):
            width, height = image.size
            cut_w, cut_h = round(width * percent / 100), round(height * percent / 100)
            middle = image.crop(
                (
                    cut_w // 2,
                    cut_h // 2,
                    width - (cut_w - cut_w // 2),
                    height - (cut_h - cut_h // 2),
                )
            )
            top_left = image.crop((0, 0, width - cut_w, height - cut_h))
            centred.append(hamming(hash_image(encoded(middle)).pdq, original))
            corner.append(hamming(hash_image(encoded(top_left)).pdq, original))
        lines.append(
            f"| {percent}% | {rate(centred):.0%} | {statistics.median(centred):.0f} |"
            f" {rate(corner):.0%} | {statistics.median(corner):.0f} |"
        )
    return [*lines, ""]


def rate(distances: list[int]) -> float:
    return sum(d <= MATCH_THRESHOLD for d in distances) / len(distances)


if __name__ == "__main__":
    print("\n".join(run()))
