"""Crop-robust signal (issue 11 item 6): recall of `orb` and plain PDQ at 5, 10 and 20% crop,
each at the threshold giving the same false-match rate on unrelated images.

The crops are made by Thorn's `perception` benchmarking tools (`BenchmarkImageDataset.transform`
with albumentations' `RandomCrop`), not by code of ours: it reads each synthetic original from
disk, crops it at a random position keeping (100 - p)% of width and height, and writes a JPEG.
Every original and every crop is then hashed as an upload is (`hash_media`).

Fixed false-match rate: a second set of unrelated synthetic pictures is looked up against the
originals; for each signal the threshold is the loosest at which at most `FALSE_RATE` of those
queries match anything. Recall is the share of crops whose own original is among the matches
at that threshold.

`python -m bench.cropping_robust [--count N]` prints the section; `run()` returns it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.support.synthetic_media import encoded, synthetic_image

from takedown.signals.hashing import hash_media
from takedown.signals.index import PdqIndex
from takedown.signals.keypoints import KEYPOINTS, MIN_AGREEING, KeypointIndex
from takedown.signals.media import MediaLimits
from takedown.signals.pdq import MATCH_THRESHOLD

PERCENTS = (5, 10, 20)
FALSE_RATE = 0.001
SIZE = (640, 480)
LIMITS = MediaLimits()


def _signals(path: str) -> tuple[str | None, str | None]:
    signals = hash_media(Path(path).read_bytes(), LIMITS)
    return signals.pdq, signals.extra.get("orb")


def _crops(originals: list[Path], storage: Path) -> list[dict[str, str]]:
    """For each original in turn, {transform: file} as made by perception + albumentations."""
    import albumentations
    from perception.benchmarking import BenchmarkImageDataset

    width, height = SIZE
    transforms = {"noop": albumentations.NoOp()}
    for p in PERCENTS:
        keep_w, keep_h = round(width * (100 - p) / 100), round(height * (100 - p) / 100)
        transforms[f"crop{p}"] = albumentations.RandomCrop(height=keep_h, width=keep_w, p=1.0)
    dataset = BenchmarkImageDataset.from_tuples([(str(f), "synthetic") for f in originals])
    made = dataset.transform(transforms=transforms, storage_dir=str(storage))
    by_guid: dict[str, dict[str, str]] = {}
    for _, row in made._df.iterrows():
        by_guid.setdefault(row["guid"], {})[row["transform_name"]] = row["filepath"]
    return list(by_guid.values())


def _best_pdq(index: PdqIndex, value: str | None) -> dict[int, int]:
    return dict(index.search(value, 256)) if value else {}


def _threshold(false_best: list[int], loosest: int) -> int:
    """The loosest distance at which at most FALSE_RATE of unrelated queries match."""
    allowed = int(FALSE_RATE * len(false_best))
    for threshold in range(loosest, -1, -1):
        if sum(d <= threshold for d in false_best) <= allowed:
            return threshold
    return -1


def run(count: int = 1000, quick: bool = False) -> str:
    if quick:
        count = min(count, 100)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        originals = []
        for seed in range(count):
            path = root / f"original-{seed}.png"
            path.write_bytes(encoded(synthetic_image(200_000 + seed, SIZE), "PNG"))
            originals.append(path)
        crops = _crops(originals, root / "transformed")
        count = len(crops)
        bank = [_signals(made["noop"]) for made in crops]
        pdq_index, orb_index = PdqIndex(), KeypointIndex()
        pdq_index.add(list(range(count)), [p or "0" * 64 for p, _ in bank])
        orb_index.add([i for i, (_, o) in enumerate(bank) if o], [o for _, o in bank if o])

        unrelated = [
            hash_media(encoded(synthetic_image(900_000 + s, SIZE), "JPEG", quality=85), LIMITS)
            for s in range(count)
        ]
        false_pdq = [min(_best_pdq(pdq_index, u.pdq).values(), default=257) for u in unrelated]
        false_orb = [
            min((d for _, d in orb_index.search(o, KEYPOINTS)), default=KEYPOINTS + 1)
            if (o := u.extra.get("orb"))
            else KEYPOINTS + 1
            for u in unrelated
        ]
        pdq_at = _threshold(false_pdq, 256)
        # Fewer than MIN_AGREEING agreeing keypoints never count (signals/keypoints.agreeing).
        orb_at = _threshold(false_orb, KEYPOINTS - MIN_AGREEING)

        # Recall at the fixed false-match rate, and at the configured rules (PDQ 31 bits,
        # MIN_AGREEING keypoints): {signal: {threshold: [share found per crop]}}.
        orb_rule = KEYPOINTS - MIN_AGREEING
        recall: dict[str, dict[int, list[float]]] = {
            "pdq": {pdq_at: [], MATCH_THRESHOLD: []},
            "orb": {orb_at: [], orb_rule: []},
        }
        for p in PERCENTS:
            pdq_best, orb_best = [], []
            for i, made in enumerate(crops):
                pdq, orb = _signals(made[f"crop{p}"])
                pdq_best.append(_best_pdq(pdq_index, pdq).get(i, 257))
                hits = dict(orb_index.search(orb, KEYPOINTS)) if orb else {}
                orb_best.append(hits.get(i, KEYPOINTS + 1))
            for threshold, shares in recall["pdq"].items():
                shares.append(sum(d <= threshold for d in pdq_best) / count)
            for threshold, shares in recall["orb"].items():
                shares.append(sum(d <= threshold for d in orb_best) / count)
    seconds = time.perf_counter() - started
    lines = [
        "## Crop-robust signal (issue 11)",
        "",
        f"{count} synthetic {SIZE[0]}x{SIZE[1]} originals (shapes, gradients, noise, a word),"
        f" cropped by Thorn's `perception` benchmarking tools (albumentations `RandomCrop`"
        f" at a random position, p% of width and of height removed, saved as JPEG), against"
        f" {count} unrelated synthetic JPEGs. Threshold per signal: the loosest at which at"
        f" most {FALSE_RATE:.1%} of the unrelated images match any original. {seconds:.0f} s.",
        "",
        "| signal | threshold | unrelated matched |"
        + "".join(f" recall at {p}% crop |" for p in PERCENTS),
        "|---|---|---|" + "---|" * len(PERCENTS),
    ]
    for label, threshold, false_best, shares in (
        ("plain PDQ, at that false-match rate", f"{pdq_at} bits", false_pdq, recall["pdq"][pdq_at]),
        (
            "plain PDQ, as configured",
            f"{MATCH_THRESHOLD} bits",
            false_pdq,
            recall["pdq"][MATCH_THRESHOLD],
        ),
        (
            "`orb`, at that false-match rate",
            f"{KEYPOINTS - orb_at} keypoints agree",
            false_orb,
            recall["orb"][orb_at],
        ),
        (
            "`orb`, as configured",
            f"{MIN_AGREEING} keypoints agree",
            false_orb,
            recall["orb"][orb_rule],
        ),
    ):
        cut = int(threshold.split()[0])
        limit = cut if "bits" in threshold else KEYPOINTS - cut
        lines.append(
            f"| {label} | {threshold} | {_rate(false_best, limit)} |"
            + "".join(f" {share:.1%} |" for share in shares)
        )
    lines += [
        "",
        "`orb` (signals/keypoints.py) keeps 128 ORB keypoints spread over a 4x4 grid and"
        " matches when enough of them have a twin in the entry where one crop-like transform"
        " (a scale and a shift, OpenCV's RANSAC) puts them, spread over the picture (a shared"
        " caption or logo does not count). Whole resized copies are still PDQ's to find; both"
        " are computed for every image.",
    ]
    return "\n".join(lines) + "\n"


def _rate(best: list[int], threshold: int) -> str:
    hits = sum(d <= threshold for d in best)
    return f"{hits}/{len(best)} ({hits / max(1, len(best)):.2%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    print(run(args.count), flush=True)


if __name__ == "__main__":
    main()
