"""HMA's signal and content type names, and their values, against Takedown's signals.

HMA names a signal after python-threatexchange's signal type: `pdq` (photos), `video_md5`
(the MD5 of a video file) and vPDQ, whose name API.md fixes as `video_vpdq` (python-
threatexchange's own class calls it `vpdq`, accepted too). A vPDQ value in HMA is JSON text
of `"<pdq hex>,<quality>,<timestamp>"` features; Takedown stores Meta's four-field feature
lines (`frame_number,quality,pdq,timestamp`), so values are converted both ways here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from takedown.signals import signal_type
from takedown.signals.base import MediaKind
from takedown.signals.vpdq import VpdqFrame, format_frames, parse_frames

PDQ = "pdq"
VIDEO_MD5 = "video_md5"
VIDEO_VPDQ = "video_vpdq"
# Names a client may send for vPDQ; answers use VIDEO_VPDQ.
VPDQ_ALIASES = ("video_vpdq", "vpdq")


@dataclass(frozen=True)
class HmaSignal:
    """One HMA signal type: its HMA name, the Takedown signal behind it, its media."""

    name: str
    takedown: str
    media: MediaKind


SIGNALS: dict[str, HmaSignal] = {
    PDQ: HmaSignal(PDQ, "pdq", "image"),
    VIDEO_MD5: HmaSignal(VIDEO_MD5, "md5", "video"),
    VIDEO_VPDQ: HmaSignal(VIDEO_VPDQ, "vpdq", "video"),
}
# HMA's content types and the media kind each is.
CONTENT_TYPES: dict[str, MediaKind] = {"photo": "image", "video": "video"}


def hma_signal(name: str) -> HmaSignal | None:
    """The HMA signal type called `name` (aliases included), or None."""
    if name in VPDQ_ALIASES:
        return SIGNALS[VIDEO_VPDQ]
    return SIGNALS.get(name)


def for_media(kind: MediaKind) -> list[HmaSignal]:
    return [s for s in SIGNALS.values() if s.media == kind]


def hma_of_takedown(signal: str, media: MediaKind | None = None) -> str | None:
    """The HMA name of a Takedown signal (`md5` is `video_md5` only for video)."""
    if signal == "pdq":
        return PDQ
    if signal == "vpdq":
        return VIDEO_VPDQ
    if signal == "md5" and media != "image":
        return VIDEO_MD5
    return None


def to_takedown(signal: HmaSignal, value: object) -> str:
    """The canonical Takedown value of an HMA signal value; ValueError says what is wrong."""
    if signal.takedown != "vpdq":
        return signal_type(signal.takedown).validate(value)
    return json.dumps(format_frames(_hma_frames(value)))


def to_hma(signal: str, value: str) -> str:
    """A stored Takedown value as HMA writes it."""
    if signal != "vpdq":
        return value
    return frames_to_hma(parse_frames(value))


def frames_to_hma(frames: list[VpdqFrame]) -> str:
    return json.dumps([f"{f.pdq},{f.quality},{f.timestamp:.3f}" for f in frames])


def _hma_frames(value: object) -> list[VpdqFrame]:
    """HMA's compact features; Takedown's own four-field lines are accepted too."""
    if not isinstance(value, str):
        raise ValueError("a vpdq signal is JSON text of a list of 'pdq_hex,quality,timestamp'")
    try:
        items = json.loads(value or "[]")
    except json.JSONDecodeError:
        raise ValueError("a vpdq signal must be JSON text") from None
    if not isinstance(items, list) or not items:
        raise ValueError("a vpdq signal is a non-empty list of features")
    lines: list[object] = []
    for number, item in enumerate(items):
        if isinstance(item, str) and item.count(",") == 2:
            pdq_hex, quality, timestamp = item.split(",")
            lines.append(f"{number},{quality},{pdq_hex},{timestamp}")
        else:
            lines.append(item)
    return parse_frames(lines)


def pretty_distance(signal: str, distance: int, percents: tuple[float, float] | None) -> str:
    """HMA's `distance` string: the Hamming distance for PDQ, `0` for an exact digest (HMA
    prints `-`, which its own Ruby client cannot read as a number), and
    `<query%>[<compared%>]` for vPDQ, as python-threatexchange's VPDQSimilarityInfo does."""
    if signal == "vpdq" and percents is not None:
        return f"{percents[0]:.0f}%[{percents[1]:.0f}%]"
    return str(distance)
