"""vPDQ, Meta's video hash: one PDQ per sampled frame, and matching in both directions.

Frames are sampled exactly as the `vpdq` package does (every `int(seconds_per_hash * fps)`-th
decoded frame, timestamp = frame number / fps) and hashed with pdqhash, so the features are
interchangeable with Meta's tools; a test checks them against `vpdq`'s own output. Decoding
is done here with PyAV rather than by `vpdq.computeHash` so that hostile files meet our
limits: pixel count and declared duration before decoding, decoded duration and a time
limit while decoding, one frame in memory at a time.

Matching goes beyond threatexchange's default (80% of the query's frames): a banked clip
inside a longer compilation is found by the compared-match percentage or by the matched
duration (DESIGN.md rule 6, "including clips inside longer videos").
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from takedown.signals import pdq
from takedown.signals.base import MediaKind
from takedown.signals.media import (
    MediaLimits,
    MediaRejected,
    corrupt,
    too_many_pixels,
    unsupported,
)

SECONDS_PER_HASH = 1.0
"""Meta's default, and what `takedown hash` prints, so features interchange with vpdq's."""
UPLOAD_SECONDS_PER_HASH = 0.25
"""Uploads are sampled four times a second: the hashes they leave in the internal bank then
find a re-upload or excerpt whatever its sampling phase (one a second misses excerpts that
start 0.2-0.7 s off the banked video's sampling points; BENCHMARKS.md)."""


@dataclass(frozen=True)
class VpdqFrame:
    """One sampled frame: its number in decode order, PDQ quality, PDQ hash and time."""

    frame_number: int
    quality: int
    pdq: str
    timestamp: float


def too_long(seconds: float, limits: MediaLimits) -> MediaRejected:
    return MediaRejected(
        "video_too_long",
        f"the video lasts {seconds:.0f} s; the limit is {limits.max_video_seconds:.0f} s",
        422,
    )


def timed_out(limits: MediaLimits) -> MediaRejected:
    return MediaRejected(
        "hashing_timeout",
        f"hashing the video took longer than {limits.timeout_seconds:.0f} s",
        422,
    )


def hash_video(
    data_or_path: bytes | str | Path,
    limits: MediaLimits | None = None,
    seconds_per_hash: float = SECONDS_PER_HASH,
) -> list[VpdqFrame]:
    """vPDQ features of a video; raises MediaRejected for anything we will not hash."""
    import av  # imported here: only video hashing pays for loading FFmpeg

    limits = limits or MediaLimits()
    deadline = time.monotonic() + limits.timeout_seconds
    source: io.BytesIO | str = (
        io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else str(data_or_path)
    )
    try:
        container = av.open(source, mode="r")
    except av.FFmpegError as exc:
        raise corrupt(f"not a readable video ({exc.strerror or exc})") from None
    except (OSError, ValueError) as exc:
        raise corrupt(str(exc)) from None
    try:
        return _hash_container(container, limits, seconds_per_hash, deadline)
    except av.FFmpegError as exc:
        raise corrupt(f"decoding failed ({exc.strerror or exc})") from None
    finally:
        container.close()


def _hash_container(
    container: object, limits: MediaLimits, seconds_per_hash: float, deadline: float
) -> list[VpdqFrame]:
    import av
    from av.video.reformatter import VideoReformatter

    assert isinstance(container, av.container.InputContainer)
    if not container.streams.video:
        raise unsupported("the file has no video stream")
    stream = container.streams.video[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if width <= 0 or height <= 0:
        raise corrupt("the video has no frame size")
    if width * height > limits.max_pixels:
        raise too_many_pixels(width, height, limits)
    declared = _declared_seconds(container, stream)
    if declared is not None and declared > limits.max_video_seconds:
        raise too_long(declared, limits)
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    if not fps or not math.isfinite(fps):
        raise corrupt("the video has no frame rate")
    # The same sampling as vpdq's file hasher: every frame_mod-th decoded frame.
    frame_mod = max(1, int(seconds_per_hash * fps))
    frames: list[VpdqFrame] = []
    start_time: float | None = None
    # One converter for the whole video: each frame's own to_ndarray sets up a new swscale
    # context, which cost more than hashing the frame (the same pixels either way).
    to_rgb = VideoReformatter()
    for number, frame in enumerate(container.decode(stream)):
        if time.monotonic() > deadline:
            raise timed_out(limits)
        # A header can lie about the duration; the decoded timestamps cannot.
        seconds = frame.time
        if seconds is not None:
            start_time = seconds if start_time is None else start_time
            if seconds - start_time > limits.max_video_seconds:
                raise too_long(seconds - start_time, limits)
        if number / fps > limits.max_video_seconds:
            raise too_long(number / fps, limits)
        if number % frame_mod:
            continue
        pixels = to_rgb.reformat(frame, format="rgb24").to_ndarray()
        hex_hash, quality = pdq.hash_frame(np.asarray(pixels, dtype=np.uint8))
        # vpdq stores the timestamp as a float computed in single precision.
        timestamp = float(np.float32(number) / np.float32(fps))
        frames.append(VpdqFrame(number, quality, hex_hash, round(timestamp, 3)))
    if not frames:
        raise corrupt("no frame could be decoded")
    return frames


def _declared_seconds(container: object, stream: object) -> float | None:
    duration = getattr(container, "duration", None)
    if duration:
        return float(duration) / 1_000_000  # av.time_base: microseconds
    stream_duration = getattr(stream, "duration", None)
    time_base = getattr(stream, "time_base", None)
    if stream_duration and time_base:
        return float(stream_duration * time_base)
    return None


# -- the feature format ----------------------------------------------------------------


def format_frames(frames: Sequence[VpdqFrame]) -> list[str]:
    """Meta's vPDQ feature lines, `frame_number,quality,pdq_hex,timestamp`.

    This list is what `takedown hash` prints under `vpdq` and what a bank imports for the
    signal `vpdq`.
    """
    return [f"{f.frame_number},{f.quality},{f.pdq},{f.timestamp:.3f}" for f in frames]


def parse_frames(value: object) -> list[VpdqFrame]:
    """Frames from feature lines, from JSON text of them, or from dicts; ValueError if bad.

    Accepts `["0,100,<hex>,0.000", ...]`, the same list as JSON text, or
    `[{"frame_number": 0, "quality": 100, "pdq": "<hex>", "timestamp": 0.0}, ...]`.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("vpdq must be a list of frame features or JSON text of one") from None
    if not isinstance(value, list) or not value:
        raise ValueError("vpdq must be a non-empty list of frame features")
    frames = [_parse_frame(item, position) for position, item in enumerate(value)]
    return frames


def _parse_frame(item: object, position: int) -> VpdqFrame:
    where = f"vpdq frame {position}"
    if isinstance(item, str):
        parts = item.split(",")
        if len(parts) != 4:
            raise ValueError(f"{where} must be 'frame_number,quality,pdq_hex,timestamp'")
        raw: dict[str, object] = {
            "frame_number": parts[0],
            "quality": parts[1],
            "pdq": parts[2],
            "timestamp": parts[3],
        }
    elif isinstance(item, dict):
        raw = item
    else:
        raise ValueError(f"{where} must be a feature line or an object")
    try:
        frame_number = int(str(raw["frame_number"]).strip())
        quality = int(str(raw["quality"]).strip())
        timestamp = float(str(raw["timestamp"]).strip())
    except (KeyError, ValueError):
        raise ValueError(
            f"{where} needs an integer frame_number and quality and a numeric timestamp"
        ) from None
    if frame_number < 0 or not 0 <= quality <= 100:
        raise ValueError(f"{where}: frame_number must be >= 0 and quality 0 to 100")
    if not math.isfinite(timestamp) or timestamp < 0:
        raise ValueError(f"{where}: timestamp must be a non-negative number of seconds")
    try:
        hex_hash = pdq.validate(raw.get("pdq"))
    except ValueError:
        raise ValueError(f"{where}: pdq must be 64 hexadecimal characters") from None
    return VpdqFrame(frame_number, quality, hex_hash, timestamp)


# -- matching ---------------------------------------------------------------------------


NEAR_COMPLETE_PERCENT = 80.0
"""A side of a comparison found at least this much in the other is a near-complete match."""


@dataclass(frozen=True)
class VideoMatch:
    """How two videos compare. vPDQ has no single distance: it has two coverages and a length.

    `query_match_percent`: share of the query found in the banked (or stored) video;
    `compared_match_percent`: share of the banked video found in the query;
    `overlap_s`: seconds of footage the two share (the shorter side's matched duration).
    `matched` says the two are worth relating at all; `near_complete` says one of them was
    found (nearly) whole in the other, which is what automatic action may follow (DESIGN.md
    rule 11). A match on the overlap alone is partial: a shared stretch, shown to a reviewer.
    """

    query_match_percent: float
    compared_match_percent: float
    overlap_s: float
    matched: bool

    @property
    def match_percent(self) -> float:
        """The better of the two coverages."""
        return max(self.query_match_percent, self.compared_match_percent)

    @property
    def query_found_whole(self) -> bool:
        return self.matched and self.query_match_percent >= NEAR_COMPLETE_PERCENT

    @property
    def compared_found_whole(self) -> bool:
        return self.matched and self.compared_match_percent >= NEAR_COMPLETE_PERCENT

    @property
    def near_complete(self) -> bool:
        return self.query_found_whole or self.compared_found_whole

    def as_json(self) -> dict[str, float]:
        return {
            "match_percent": self.match_percent,
            "query_match_percent": self.query_match_percent,
            "compared_match_percent": self.compared_match_percent,
            "overlap_s": self.overlap_s,
        }


def _usable(frames: Sequence[VpdqFrame], quality_min: int) -> list[VpdqFrame]:
    return [f for f in frames if f.quality >= quality_min]


def _bit_matrix(frames: Sequence[VpdqFrame]) -> np.ndarray:
    raw = b"".join(bytes.fromhex(f.pdq) for f in frames)
    return np.frombuffer(raw, dtype=">u8").reshape(len(frames), 4).astype(np.uint64)


def _frame_interval(frames: Sequence[VpdqFrame]) -> float:
    """Seconds one sampled frame stands for: the median gap between sampled timestamps."""
    times = sorted({f.timestamp for f in frames})
    if len(times) < 2:
        return SECONDS_PER_HASH
    gaps = np.diff(np.asarray(times))
    return float(np.median(gaps))


def _covered(frames: Sequence[VpdqFrame], hit: np.ndarray, step: float) -> np.ndarray:
    """Frames that matched, or lie within half the coarser side's interval of one that did.

    Sampled more densely than the other side, only the frames nearest the other side's
    sampling points can match; the ones between stand for the same footage.
    """
    own = _frame_interval(frames)
    if step <= own * 1.01 or not hit.any():
        return hit
    times = np.asarray([f.timestamp for f in frames])
    hit_times = np.sort(times[hit])
    after = np.searchsorted(hit_times, times).clip(0, len(hit_times) - 1)
    before = (after - 1).clip(0, len(hit_times) - 1)
    nearest = np.minimum(np.abs(hit_times[after] - times), np.abs(hit_times[before] - times))
    covered: np.ndarray = hit | (nearest <= step / 2 + 1e-6)
    return covered


def _unique_share(frames: Sequence[VpdqFrame], covered: np.ndarray) -> float:
    """Percentage of distinct hashes covered: a still shot held for a minute counts once."""
    unique = {f.pdq for f in frames}
    matched = {f.pdq for f, c in zip(frames, covered, strict=True) if c}
    return 100.0 * len(matched) / len(unique)


def match_video(
    query: Sequence[VpdqFrame],
    banked: Sequence[VpdqFrame],
    pdq_threshold: int = pdq.MATCH_THRESHOLD,
    quality_min: int = pdq.QUALITY_MIN,
    min_percent: float = NEAR_COMPLETE_PERCENT,
    min_seconds: float = 5.0,
) -> VideoMatch:
    """Compare a video with a banked one, frame by frame, in both directions.

    Matched when either percentage reaches `min_percent`, or when the matched frames cover
    at least `min_seconds` of both videos: a 15-second banked clip inside a 60-second
    compilation that is half other footage matches only 25% of the query's frames, which
    threatexchange's default (80% of the query) misses; the compared-match percentage and
    the duration rule both catch it. Frames below `quality_min` (blank, flat) are ignored
    on both sides, so black intros and title cards do not match everything. Percentages are
    over distinct hashes, as in threatexchange, so a still shot held for a minute counts once.

    The two sides may be sampled at different rates (uploads are hashed four times a second,
    banks from elsewhere once): only the denser side's frames that fall near a sparser
    frame can match, so each matched frame stands for the coarser of the two intervals. That
    is what lets a dense side find an excerpt whatever its sampling phase.
    """
    q_frames = _usable(query, quality_min)
    b_frames = _usable(banked, quality_min)
    if not q_frames or not b_frames:
        return VideoMatch(0.0, 0.0, 0.0, False)
    q_bits = _bit_matrix(q_frames)
    b_bits = _bit_matrix(b_frames)
    # Distances of every query frame to every banked frame; a 10-minute pair at one frame a
    # second is 600 x 600 comparisons.
    distances = np.bitwise_count(q_bits[:, None, :] ^ b_bits[None, :, :]).sum(axis=2)
    close = distances <= pdq_threshold
    q_hit = close.any(axis=1)
    b_hit = close.any(axis=0)

    step = max(_frame_interval(q_frames), _frame_interval(b_frames))
    q_covered = _covered(q_frames, q_hit, step)
    b_covered = _covered(b_frames, b_hit, step)
    query_percent = _unique_share(q_frames, q_covered)
    compared_percent = _unique_share(b_frames, b_covered)
    q_seconds = int(q_covered.sum()) * _frame_interval(q_frames)
    b_seconds = int(b_covered.sum()) * _frame_interval(b_frames)
    overlap = min(q_seconds, b_seconds)
    matched = (
        query_percent >= min_percent or compared_percent >= min_percent or overlap >= min_seconds
    )
    return VideoMatch(
        round(query_percent, 2), round(compared_percent, 2), round(overlap, 3), matched
    )


def frames_found_in(
    query: Sequence[VpdqFrame],
    banked: Sequence[VpdqFrame],
    pdq_threshold: int = pdq.MATCH_THRESHOLD,
    quality_min: int = pdq.QUALITY_MIN,
) -> list[VpdqFrame]:
    """The query's frames that match some frame of `banked`: the part the two share."""
    q_frames = _usable(query, quality_min)
    b_frames = _usable(banked, quality_min)
    if not q_frames or not b_frames:
        return []
    distances = np.bitwise_count(
        _bit_matrix(q_frames)[:, None, :] ^ _bit_matrix(b_frames)[None, :, :]
    ).sum(axis=2)
    hits = (distances <= pdq_threshold).any(axis=1)
    return [f for f, hit in zip(q_frames, hits, strict=True) if hit]


@dataclass(frozen=True)
class VpdqSignal:
    """The `vpdq` signal type: a list of frame features, compared with `match_video`."""

    name: str = "vpdq"
    media_kinds: frozenset[MediaKind] = frozenset({"video"})
    exact: bool = False

    def validate(self, value: object) -> str:
        """Canonical text: the JSON list of feature lines, hashes in lower case."""
        return json.dumps(format_frames(parse_frames(value)))

    def acts_alone(self, quality: int | None, quality_min: int) -> bool:
        return True  # low-quality frames are left out frame by frame (`match_video`)


VPDQ = VpdqSignal()
