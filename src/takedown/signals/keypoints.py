"""Crop-robust image signal (`orb`): ORB keypoints that agree on one shift.

Plain PDQ loses a match once a few percent is cropped away (BENCHMARKS.md, "Cropping"): a
crop moves every coefficient of a whole-image hash. Local features do not move: a corner in
the part of the picture that is kept looks the same after the crop, only displaced. So this
signal keeps an image's `KEYPOINTS` strongest ORB keypoints (OpenCV's, computed from pixels
alone, no model to download): each one's position and its 256-bit descriptor.

Two images match when enough of the query's descriptors have a near twin (within
`DESCRIPTOR_BITS`) in the entry *and* those twins sit where one crop-like transform (a shift
and a scale, found by OpenCV's RANSAC) puts them, spread over the picture. The geometric check
is what keeps unrelated pictures apart: pictures share stray corners, and a caption or logo
shares a patch of them, but not a dozen across the frame under one transform.

The match "distance" is in this signal's own terms: how many of the KEYPOINTS keypoints did
not agree (0 = all did); `THRESHOLD` = KEYPOINTS - MIN_AGREEING. Descriptors are indexed in
the same exact multi-index hash index as PDQ (both are 256 bits).

Images are reduced to `MAX_SIDE` first, so a crop of a large picture arrives at another scale:
ORB's pyramid and the fitted scale absorb that. Whole resized or re-encoded copies are PDQ's to
find; both signals are computed for every image.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from takedown.signals.base import MediaKind, normalise_hex
from takedown.signals.index import PdqIndex
from takedown.signals.media import MediaLimits, corrupt
from takedown.signals.pdq import open_image

NAME = "orb"
KEYPOINTS = 128
MIN_AGREEING = 20  # 12 gave 0.8% false matches on 1,000 unrelated images (BENCHMARKS.md)
MIN_KEYPOINTS = 8
THRESHOLD = KEYPOINTS - MIN_AGREEING
DESCRIPTOR_BITS = 24  # Hamming distance at which two descriptors are the same corner
SHIFT_TOLERANCE = 3.0  # pixels: agreeing keypoints land within this of where the fit puts them
MAX_SCALE = 2.0  # a crop resized by more than this either way is not looked for
MAX_TURN = 5.0  # degrees: crops are not turned (turned copies are PDQ's dihedral variants')
SPREAD = 0.3  # the agreeing keypoints span this share of the query's keypoints, both ways
MAX_SIDE = 1024
_PART = 8 + 64  # hex digits per keypoint: x and y (4 each), then the descriptor (64)

GRID = 4
_detectors = threading.local()  # OpenCV's detector objects are not to be shared by threads


def keypoints(gray: NDArray[np.uint8]) -> list[tuple[int, int, bytes]]:
    """Up to KEYPOINTS keypoints of a greyscale picture, (x, y, 32-byte descriptor): the
    strongest of each cell of a GRID x GRID grid in turn, so that one busy patch (a caption's
    letters are all corners) cannot take every place and a crop keeps most of them."""
    detector = getattr(_detectors, "orb", None)
    if detector is None:
        detector = _detectors.orb = cv2.ORB.create(nfeatures=KEYPOINTS * 8)
    found, descriptors = detector.detectAndCompute(gray, None)
    if descriptors is None:
        return []
    height, width = gray.shape[:2]
    cells: dict[tuple[int, int], list[int]] = {}
    for i in sorted(range(len(found)), key=lambda i: -found[i].response):
        x, y = found[i].pt
        cells.setdefault((int(x * GRID / width), int(y * GRID / height)), []).append(i)
    chosen: list[int] = []
    depth = 0
    while len(chosen) < KEYPOINTS and any(len(c) > depth for c in cells.values()):
        chosen.extend(c[depth] for c in cells.values() if len(c) > depth)
        depth += 1
    return [
        (round(found[i].pt[0]), round(found[i].pt[1]), descriptors[i].tobytes())
        for i in chosen[:KEYPOINTS]
    ]


def encode(points: Sequence[tuple[int, int, bytes]]) -> str:
    return ",".join(f"{x:04x}{y:04x}{d.hex()}" for x, y, d in points)


def decode(value: str) -> list[tuple[int, int, str]]:
    """(x, y, descriptor hex) of each keypoint of a canonical value."""
    return [(int(p[0:4], 16), int(p[4:8], 16), p[8:]) for p in value.split(",") if p]


@dataclass(frozen=True)
class OrbSignal:
    """`orb`: comma-separated keypoints, each 72 hex digits (x, y, ORB descriptor)."""

    name: str = NAME
    media_kinds: frozenset[MediaKind] = frozenset({"image"})
    exact: bool = False
    threshold: int = THRESHOLD

    def validate(self, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{NAME} must be comma-separated keypoints of {_PART} hex digits")
        parts = value.split(",")
        if len(parts) > KEYPOINTS:
            raise ValueError(f"{NAME} holds at most {KEYPOINTS} keypoints")
        return ",".join(normalise_hex(p, _PART, NAME) for p in parts)

    def acts_alone(self, quality: int | None, quality_min: int) -> bool:
        return True

    def hash_file(self, data: bytes, kind: MediaKind, limits: MediaLimits) -> str | None:
        image = open_image(data, limits)
        if image.format == "JPEG":
            # Decode a large JPEG at reduced size (DCT scaling): keypoints need no more
            # than MAX_SIDE, and a full 4000x3000 decode would cost more than PDQ itself.
            image.draft("L", (MAX_SIDE, MAX_SIDE))
        return self.hash_picture(image)

    def hash_picture(self, image: Image.Image) -> str | None:
        """The value of a picture already opened (and perhaps decoded, by hash_media for
        PDQ): the same as hash_file's for its file."""
        try:
            gray = image.convert("L")
            if max(gray.size) > MAX_SIDE:
                gray.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
            pixels = np.asarray(gray, dtype=np.uint8)
        except Exception as exc:  # a decoder error on hostile input is a 4xx, not a crash
            raise corrupt(str(exc) or type(exc).__name__) from None
        points = keypoints(pixels)
        # A flat or tiny picture: too few corners to be worth storing or looking up.
        return encode(points) if len(points) >= MIN_KEYPOINTS else None

    def new_index(self) -> KeypointIndex:
        return KeypointIndex()


class KeypointIndex:
    """Every entry's descriptors in one index; a hit is an entry whose twins agree on a shift."""

    def __init__(self) -> None:
        self._descriptors = PdqIndex()
        self._positions: dict[int, NDArray[np.int32]] = {}

    def __len__(self) -> int:
        return len(self._positions)

    def add(self, keys: Sequence[int], values: Sequence[str]) -> None:
        ids: list[int] = []
        hexes: list[str] = []
        for key, value in zip(keys, values, strict=True):
            points = decode(value)[:KEYPOINTS]
            self._positions[key] = np.array([(x, y) for x, y, _ in points], dtype=np.int32)
            ids.extend(key * KEYPOINTS + j for j in range(len(points)))
            hexes.extend(d for _, _, d in points)
        if ids:
            self._descriptors.add(ids, hexes)

    def remove(self, keys: Iterable[int]) -> None:
        ids: list[int] = []
        for key in keys:
            ids.extend(key * KEYPOINTS + j for j in range(len(self._positions.pop(key, ()))))
        self._descriptors.remove(ids)

    def search(self, value: str, threshold: int) -> list[tuple[int, int]]:
        query = decode(value)
        if not query:
            return []
        pairs: dict[int, list[tuple[int, int, int, int]]] = {}
        hits = self._descriptors.search_many([d for _, _, d in query], DESCRIPTOR_BITS)
        for (qx, qy, _), found in zip(query, hits, strict=True):
            for descriptor_id, _ in found:
                key, j = divmod(descriptor_id, KEYPOINTS)
                positions = self._positions.get(key)
                if positions is not None and j < len(positions):
                    pairs.setdefault(key, []).append(
                        (qx, qy, int(positions[j][0]), int(positions[j][1]))
                    )
        xs = [x for x, _, _ in query]
        ys = [y for _, y, _ in query]
        extent = (max(xs) - min(xs), max(ys) - min(ys))
        out = []
        for key, matched in pairs.items():
            distance = KEYPOINTS - agreeing(matched, extent)
            if distance <= threshold:
                out.append((key, distance))
        return sorted(out, key=lambda pair: (pair[1], pair[0]))


def agreeing(pairs: Sequence[tuple[int, int, int, int]], extent: tuple[int, int]) -> int:
    """How many matched keypoints (query x, y -> entry x, y) one crop explains.

    A crop, resized or not, moves every kept point by one scale and shift: OpenCV's RANSAC
    fit of such a transform (`estimateAffinePartial2D`, deterministic) finds the points that
    agree, within SHIFT_TOLERANCE pixels. They count only when the transform is crop-like
    (scale within 1/MAX_SCALE..MAX_SCALE, turned less than MAX_TURN) and they spread over
    SPREAD of the query's keypoints both ways: a shared caption, logo or watermark agrees on
    a transform too, but from one small patch of the picture, where a crop keeps most of it.
    """
    if len(pairs) < MIN_AGREEING:
        return 0
    points = np.array(pairs, dtype=np.float32)
    transform, inliers = cv2.estimateAffinePartial2D(
        np.ascontiguousarray(points[:, :2]),
        np.ascontiguousarray(points[:, 2:]),
        method=cv2.RANSAC,
        ransacReprojThreshold=SHIFT_TOLERANCE,
        maxIters=500,
        confidence=0.995,
    )
    if transform is None or inliers is None:
        return 0
    scale = float(np.hypot(transform[0, 0], transform[1, 0]))
    turn = abs(float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0]))))
    if not 1 / MAX_SCALE <= scale <= MAX_SCALE or turn > MAX_TURN:
        return 0
    agree = points[inliers.ravel().astype(bool), :2]
    if len(agree) < MIN_AGREEING:
        return 0
    wide = agree[:, 0].max() - agree[:, 0].min() >= SPREAD * extent[0]
    tall = agree[:, 1].max() - agree[:, 1].min() >= SPREAD * extent[1]
    return len(agree) if wide and tall else 0


ORB = OrbSignal()
