"""The browser's PDQ (static/public/pdq.js) gives the same hash and quality as `pdqhash` on the
same pixels, bit for bit, and its MD5 is hashlib's. Run in Node on shared synthetic vectors."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from takedown.signals.pdq import hash_pixels
from takedown.web.templating import STATIC

pytestmark = pytest.mark.slow

PDQ_JS = STATIC / "public" / "pdq.js"
MD5_JS = STATIC / "public" / "md5.js"

RUNNER = """
const fs = require("fs");
const pdq = require(process.argv[2]);
const md5 = require(process.argv[3]);
const out = [];
for (const v of JSON.parse(fs.readFileSync(process.argv[4]))) {
  const data = new Uint8Array(fs.readFileSync(v.path));
  const h = pdq.pdqFromPixels(data, v.width, v.height, 3);
  out.push({name: v.name, pdq: h.hash, quality: h.quality, md5: md5.md5(data)});
}
process.stdout.write(JSON.stringify(out));
"""


def vectors() -> dict[str, np.ndarray]:
    """Synthetic pixels only: gradients, shapes, noise, rings, odd and tiny sizes."""
    rng = np.random.default_rng(6)
    y, x = np.mgrid[0:240, 0:320]
    shapes = np.full((480, 640, 3), 240)
    shapes[100:300, 150:400] = [200, 30, 60]
    shapes[50:120, 400:600] = [20, 220, 90]
    yy, xx = np.mgrid[0:1000, 0:1333]
    rings = np.sin(np.hypot(xx - 600, yy - 500) / 20) * 127 + 128
    text_like = np.full((90, 700, 3), 255)
    for n in range(0, 680, 14):
        text_like[30:60, n : n + 8] = rng.integers(0, 80)
    return {
        "gradient": np.stack([x * 255 // 320, y * 255 // 240, (x + y) * 255 // 560], -1),
        "shapes": shapes,
        "noise": rng.integers(0, 256, (300, 200, 3)),
        "rings": np.stack([rings, rings[::-1], rings[:, ::-1]], -1),
        "text_like": text_like,
        "odd_size": rng.integers(0, 256, (17, 23, 3)),
        "already_64": rng.integers(0, 256, (64, 64, 3)),
        "too_small": rng.integers(0, 256, (4, 30, 3)),
        "flat": np.full((100, 100, 3), 128),
    }


def test_pdq_js_equals_pdqhash_and_md5_js_equals_hashlib(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is required (scripts/setup installs nodejs)"
    listing = []
    expected = {}
    for name, pixels in vectors().items():
        rgb = np.ascontiguousarray(pixels.astype(np.uint8))
        path = tmp_path / f"{name}.rgb"
        path.write_bytes(rgb.tobytes())
        height, width = rgb.shape[:2]
        listing.append({"name": name, "path": str(path), "width": width, "height": height})
        pdq, quality = hash_pixels(rgb)
        expected[name] = {
            "pdq": pdq,
            "quality": quality,
            "md5": hashlib.md5(rgb.tobytes()).hexdigest(),
        }
    (tmp_path / "vectors.json").write_text(json.dumps(listing))
    (tmp_path / "run.js").write_text(RUNNER)
    done = subprocess.run(
        [node, str(tmp_path / "run.js"), str(PDQ_JS), str(MD5_JS), str(tmp_path / "vectors.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = {r["name"]: r for r in json.loads(done.stdout)}
    for name, want in expected.items():
        assert got[name]["pdq"] == want["pdq"], name
        assert got[name]["quality"] == want["quality"], name
        assert got[name]["md5"] == want["md5"], name
    assert expected["too_small"]["pdq"] == "0" * 64


IMAGE_DATA_RUNNER = """
const fs = require("fs");
const pdq = require(process.argv[2]);
const out = [];
for (const v of JSON.parse(fs.readFileSync(process.argv[3]))) {
  const data = new Uint8Array(fs.readFileSync(v.path));
  out.push(pdq.pdqFromImageData(data, v.width, v.height).hash);
}
process.stdout.write(JSON.stringify(out));
"""


def test_the_hash_only_page_and_the_server_agree_on_large_jpegs(tmp_path: Path) -> None:
    """Issue 11: the page reduced large images by a whole factor and landed up to 6 bits from
    the server. It now hashes the canvas's full pixels; the server, decoding at reduced size,
    applies the full-size blur. Both are the reference hash within 2 bits."""
    import io

    from PIL import Image

    from takedown.signals.pdq import hamming, hash_image
    from tests.support.synthetic_media import encoded, synthetic_image

    node = shutil.which("node")
    assert node, "node is required (scripts/setup installs nodejs)"
    listing, files = [], []
    for n, size in enumerate([(1600, 1200), (1200, 1800), (2100, 1400)]):
        picture = synthetic_image(400 + n, (size[0] // 2, size[1] // 2)).resize(size)
        data = encoded(picture, "JPEG", quality=85)
        # What a canvas gives the page: RGBA, here fully opaque.
        rgba = Image.open(io.BytesIO(data)).convert("RGBA")
        path = tmp_path / f"{n}.rgba"
        path.write_bytes(rgba.tobytes())
        listing.append({"path": str(path), "width": size[0], "height": size[1]})
        files.append(data)
    (tmp_path / "vectors.json").write_text(json.dumps(listing))
    (tmp_path / "run.js").write_text(IMAGE_DATA_RUNNER)
    done = subprocess.run(
        [node, str(tmp_path / "run.js"), str(PDQ_JS), str(tmp_path / "vectors.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    browser = json.loads(done.stdout)
    for data, page_hash in zip(files, browser, strict=True):
        pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        assert page_hash == hash_pixels(pixels)[0]  # the page runs the reference
        assert hamming(page_hash, hash_image(data).pdq) <= 2
