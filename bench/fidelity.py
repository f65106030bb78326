"""How close our hashes are to the reference, before and after issue 11's fidelity fixes.

`python -m bench.fidelity [--baseline REV]` prints Markdown. REV (default: the commit before
the fixes) is the git revision whose `signals/pdq.py` is measured as "before"; "after" is the
working tree. The reference is always `pdqhash` on the fully decoded pixels (what NCMEC and
StopNCII hashes were made with), and pdqhash on the actually turned pixels for the variants.

- Large images: the distance of our PDQ to the reference, short side >= 1024 px.
- Variants: the distance of our 7 turned/mirrored hashes to the reference's, for images
  between 400,000 pixels and a 1024 px short side and above.
- Browser: the hash-only page's hash (static/public/pdq.js run in Node on the decoded
  pixels; "before" reproduces its old whole-factor box reduction) against the server's.
- Video excerpts: the share of 8-second excerpts of a 30 s panning video found, by the
  excerpt's offset from the bank's sampling points.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image
from tests.support.synthetic_media import encoded, panning_frames, synthetic_image, video_bytes

from takedown.signals import pdq
from takedown.signals.vpdq import UPLOAD_SECONDS_PER_HASH, hash_video, match_video

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "b6bcb84"  # the last commit before the image fixes
LARGE = [(1280, 1024), (1600, 1200), (2048, 1536), (2592, 1944), (1024, 1536)]
MEDIUM = [(800, 600), (960, 720), (1000, 750), (1200, 900), (700, 1000)]


def baseline_pdq(rev: str) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:src/takedown/signals/pdq.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "pdq_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pdq_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["pdq_baseline"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def picture(seed: int, size: tuple[int, int]) -> Image.Image:
    """A synthetic picture drawn at half size and enlarged (drawing is slow at 5 Mpx)."""
    small = synthetic_image(seed, (size[0] // 2, size[1] // 2))
    return small.resize(size, Image.Resampling.BICUBIC)


def full_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)


def summary(distances: list[int]) -> str:
    differ = sum(d > 0 for d in distances) / len(distances)
    return (
        f"max {max(distances)}, mean {statistics.mean(distances):.2f},"
        f" {differ:.0%} differ, {sum(d > 2 for d in distances)} over 2 bits"
    )


def image_rows(before: ModuleType, count: int) -> list[str]:
    large_before, large_after, var_before, var_after, big_var_before, big_var_after = (
        [] for _ in range(6)
    )
    for n in range(count):
        size = LARGE[n % len(LARGE)]
        data = encoded(picture(7000 + n, size), "JPEG", quality=85)
        reference = pdq.hash_pixels(full_pixels(data))[0]
        old, new = before.hash_image(data), pdq.hash_image(data)
        large_before.append(pdq.hamming(old.pdq, reference))
        large_after.append(pdq.hamming(new.pdq, reference))
        if n < count // 4:  # the turned references cost 8 full hashes each
            turned = [
                pdq.hash_pixels(np.ascontiguousarray(t(full_pixels(data))))[0] for t in pdq.TURNS
            ]
            big_var_before += [
                pdq.hamming(a, b) for a, b in zip(old.variants[1:], turned, strict=True)
            ]
            big_var_after += [
                pdq.hamming(a, b) for a, b in zip(new.variants[1:], turned, strict=True)
            ]
        size = MEDIUM[n % len(MEDIUM)]
        pixels = np.asarray(picture(8000 + n, size), dtype=np.uint8)
        turned = [pdq.hash_pixels(np.ascontiguousarray(t(pixels)))[0] for t in pdq.TURNS]
        old_v = before.hash_with_variants(pixels).variants[1:]
        new_v = pdq.hash_with_variants(pixels).variants[1:]
        var_before += [pdq.hamming(a, b) for a, b in zip(old_v, turned, strict=True)]
        var_after += [pdq.hamming(a, b) for a, b in zip(new_v, turned, strict=True)]
    return [
        f"| PDQ of JPEGs, short side >= 1024 px ({count}) | {summary(large_before)} |"
        f" {summary(large_after)} |",
        f"| 7 variants, 400k px to 1024 px short side ({count} PNG-decoded images) |"
        f" {summary(var_before)} | {summary(var_after)} |",
        f"| 7 variants, short side >= 1024 px ({count // 4} JPEGs) | {summary(big_var_before)} |"
        f" {summary(big_var_after)} |",
    ]


NODE = """
const fs = require("fs");
const pdq = require(process.argv[2]);
const out = [];
for (const v of JSON.parse(fs.readFileSync(process.argv[3]))) {
  const data = new Uint8Array(fs.readFileSync(v.path));
  out.push(pdq.pdqFromImageData(data, v.width, v.height).hash);
}
process.stdout.write(JSON.stringify(out));
"""


def old_browser(pixels: np.ndarray) -> str:
    """The hash-only page before: a whole-factor box reduction to near 512 px, then PDQ."""
    height, width = pixels.shape[:2]
    factor = min(width, height) // 512
    if factor >= 2:
        pad_h, pad_w = -height % factor, -width % factor
        padded = np.pad(pixels.astype(np.float64), ((0, pad_h), (0, pad_w), (0, 0)), "edge")
        blocks = padded.reshape(
            padded.shape[0] // factor, factor, padded.shape[1] // factor, factor, 3
        )
        pixels = np.floor(blocks.mean(axis=(1, 3)) + 0.5).astype(np.uint8)
    return pdq.hash_pixels(np.ascontiguousarray(pixels))[0]


def browser_row(before: ModuleType, count: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        vectors, datas = [], []
        for n in range(count):
            size = LARGE[n % len(LARGE)]
            data = encoded(picture(9000 + n, size), "JPEG", quality=85)
            pixels = full_pixels(data)
            rgba = np.dstack([pixels, np.full(pixels.shape[:2], 255, np.uint8)])
            path = Path(folder) / f"{n}.rgba"
            path.write_bytes(rgba.tobytes())
            vectors.append({"path": str(path), "width": size[0], "height": size[1]})
            datas.append((data, pixels))
        spec = Path(folder) / "vectors.json"
        spec.write_text(json.dumps(vectors))
        script = Path(folder) / "run.js"
        script.write_text(NODE)
        pdq_js = ROOT / "src/takedown/web/static/public/pdq.js"
        out = subprocess.run(
            ["node", str(script), str(pdq_js), str(spec)], check=True, capture_output=True
        )
        browser = json.loads(out.stdout)
    old = [pdq.hamming(old_browser(pixels), before.hash_image(data).pdq) for data, pixels in datas]
    new = [
        pdq.hamming(js, pdq.hash_image(data).pdq)
        for js, (data, _) in zip(browser, datas, strict=True)
    ]
    label = f"browser vs server, JPEGs short side >= 1024 px ({count})"
    return f"| {label} | {summary(old)} | {summary(new)} |"


def speed_row(before: ModuleType) -> str:
    data = encoded(picture(13, (4000, 3000)), "JPEG", quality=85)

    def median_ms(function: Callable[[bytes], object]) -> float:
        times = []
        for _ in range(9):
            start = time.perf_counter()
            function(data)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    old, new = median_ms(before.hash_image), median_ms(pdq.hash_image)
    return f"| 4000x3000 JPEG q85, PDQ + 8 variants (median of 9) | {old:.1f} ms | {new:.1f} ms |"


def excerpt_rows(videos: int) -> list[str]:
    """Found-rate of 8 s excerpts by offset, 1 frame a second on both sides (before) and with
    one side sampled four times a second (after: what uploads and the internal bank hold)."""
    fps = 25
    found = {key: [0] * 10 for key in ("before", "dense bank", "dense upload")}
    for seed in range(videos):
        full = list(panning_frames(300 + seed, 30, fps))
        sparse = hash_video(video_bytes(full, fps))
        dense = hash_video(video_bytes(full, fps), seconds_per_hash=UPLOAD_SECONDS_PER_HASH)
        for tenth in range(10):
            start = int((10 + tenth / 10) * fps)
            excerpt = video_bytes(full[start : start + 8 * fps], fps, size=(128, 96))
            query = hash_video(excerpt)
            dense_query = hash_video(excerpt, seconds_per_hash=UPLOAD_SECONDS_PER_HASH)
            found["before"][tenth] += match_video(query, sparse).matched
            found["dense bank"][tenth] += match_video(query, dense).matched
            found["dense upload"][tenth] += match_video(dense_query, sparse).matched
    header = "| sampling | " + " | ".join(f"{t / 10:.1f} s" for t in range(10)) + " |"
    rows = [header, "|---" * 11 + "|"]
    for key, label in (
        ("before", "before: 1/s both sides"),
        ("dense bank", "after: bank from an upload (4/s), excerpt 1/s"),
        ("dense upload", "after: upload (4/s), bank from elsewhere (1/s)"),
    ):
        rows.append(f"| {label} | " + " | ".join(f"{v / videos:.0%}" for v in found[key]) + " |")
    return rows


def run(baseline: str = BASELINE, images: int = 40, videos: int = 12) -> list[str]:
    before = baseline_pdq(baseline)
    return [
        "## Fidelity (issue 11)",
        "",
        f"Before: `signals/pdq.py` at {baseline}; after: this tree. Distances in bits to"
        " pdqhash on the fully decoded pixels (for the variants: on the turned pixels).",
        "",
        "| measure | before | after |",
        "|---|---|---|",
        *image_rows(before, images),
        browser_row(before, max(4, images // 4)),
        speed_row(before),
        "",
        f"Excerpts found, {videos} synthetic panning videos (30 s; 8 s excerpts re-encoded at"
        " 128x96), by offset from the bank's sampling points:",
        "",
        *excerpt_rows(videos),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--videos", type=int, default=12)
    args = parser.parse_args()
    print("\n".join(run(args.baseline, args.images, args.videos)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
