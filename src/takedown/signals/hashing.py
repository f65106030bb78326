"""Hash an upload into every signal that applies to it: the entry point for media.

Images are hashed in the request (PDQ with quality and dihedral variants, MD5, SHA-256);
videos get vPDQ instead of PDQ. Every limit in MediaLimits is applied here or below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from takedown.signals import indexed_signals, pdq, vpdq
from takedown.signals.base import MediaKind, PictureSignal
from takedown.signals.media import MediaLimits, check_size, sniff_kind
from takedown.signals.vpdq import VpdqFrame

PDQ_DIHEDRAL = "pdq_dihedral"
"""Stored beside an image's PDQ: its seven turned and mirrored variants, comma-separated, so a
mirrored copy is found whichever side arrives first. Index-only: never banked or shown."""


@dataclass
class MediaSignals:
    """The signals of one file.

    `pdq_variants` holds the eight dihedral PDQ hashes of an image (the original first), used
    to match mirrored and rotated uploads; it is empty for video and not part of `as_json`.
    """

    kind: MediaKind
    md5: str
    sha256: str
    pdq: str | None = None
    pdq_quality: int | None = None
    pdq_variants: list[str] = field(default_factory=list)
    vpdq: list[VpdqFrame] | None = None
    # The values of the other registered signals (crop-robust PDQ, ...), by signal name.
    extra: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str, int | None]]:
        """The signals as stored for a content item: (signal, canonical value, quality)."""
        out: list[tuple[str, str, int | None]] = [
            ("md5", self.md5, None),
            ("sha256", self.sha256, None),
        ]
        if self.pdq is not None:
            out.append(("pdq", self.pdq, self.pdq_quality))
            variants = [v for v in self.pdq_variants[1:] if v]
            if variants:
                out.append((PDQ_DIHEDRAL, ",".join(variants), self.pdq_quality))
        if self.vpdq is not None:
            out.append(("vpdq", json.dumps(vpdq.format_frames(self.vpdq)), None))
        out.extend((name, value, None) for name, value in self.extra.items())
        return out

    def as_json(self) -> dict[str, Any]:
        """The API's `signals` object: pdq, pdq_quality, md5, sha256 (or vpdq for a video)."""
        out: dict[str, Any] = {}
        if self.pdq is not None:
            out["pdq"] = self.pdq
            out["pdq_quality"] = self.pdq_quality
        if self.vpdq is not None:
            out["vpdq"] = vpdq.format_frames(self.vpdq)
        out["md5"] = self.md5
        out["sha256"] = self.sha256
        out.update(self.extra)
        return out


def hash_media(
    data: bytes,
    limits: MediaLimits | None = None,
    video_seconds_per_hash: float = vpdq.SECONDS_PER_HASH,
) -> MediaSignals:
    """Every signal of an image or video file; raises MediaRejected with a 4xx status."""
    limits = limits or MediaLimits()
    check_size(len(data), limits)
    kind = sniff_kind(data)
    # PDQ (or vPDQ) first: it rejects a corrupt or oversized file before the rest decode it.
    decoded = pdq.decode(data, limits) if kind == "image" else None
    image = pdq.hash_decoded(decoded) if decoded else None
    frames = vpdq.hash_video(data, limits, video_seconds_per_hash) if kind == "video" else None
    extra: dict[str, str] = {}
    for signal in indexed_signals():
        if kind not in signal.media_kinds:
            continue
        if decoded and decoded.source and isinstance(signal, PictureSignal):
            value = signal.hash_picture(decoded.source)  # the picture PDQ decoded, not again
        else:
            value = signal.hash_file(data, kind, limits)
        if value:
            extra[signal.name] = value
    return MediaSignals(
        kind=kind,
        md5=extra.pop("md5"),
        sha256=extra.pop("sha256"),
        pdq=image.pdq if image else None,
        pdq_quality=image.quality if image else None,
        pdq_variants=list(image.variants) if image else [],
        vpdq=frames,
        extra=extra,
    )
