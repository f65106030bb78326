"""vPDQ: the feature format, matching in both directions, and agreement with Meta's vpdq."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from takedown.signals.hashing import hash_media
from takedown.signals.vpdq import (
    UPLOAD_SECONDS_PER_HASH,
    VPDQ,
    VpdqFrame,
    format_frames,
    hash_video,
    match_video,
    parse_frames,
)
from tests.support.synthetic_media import panning_frames, scene_frames, video_bytes

FPS = 10
HEX_A = "a" * 64
HEX_B = "5" * 64  # 256 bits away from HEX_A


def frames(hashes: list[str], quality: int = 100) -> list[VpdqFrame]:
    return [VpdqFrame(i * FPS, quality, h, float(i)) for i, h in enumerate(hashes)]


def test_format_and_parse_round_trip() -> None:
    original = [VpdqFrame(0, 100, HEX_A, 0.0), VpdqFrame(25, 87, HEX_B, 1.0)]
    lines = format_frames(original)
    assert lines == [f"0,100,{HEX_A},0.000", f"25,87,{HEX_B},1.000"]
    assert parse_frames(lines) == original
    assert parse_frames(json.dumps(lines)) == original
    as_dicts = [{"frame_number": 0, "quality": 100, "pdq": HEX_A.upper(), "timestamp": 0}]
    assert parse_frames(as_dicts) == original[:1]
    assert VPDQ.validate(lines) == json.dumps(lines)


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "",
        "not json",
        [f"0,100,{HEX_A}"],
        [f"x,100,{HEX_A},0.0"],
        [f"0,101,{HEX_A},0.0"],
        ["0,100,abc,0.0"],
        [f"-1,100,{HEX_A},0.0"],
        [f"0,100,{HEX_A},nan"],
        [{"frame_number": 0, "quality": 100, "timestamp": 0}],
        [7],
        {"frames": []},
    ],
)
def test_parse_refuses_malformed_features(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_frames(bad)


def test_match_needs_enough_frames_in_either_direction_or_duration() -> None:
    clip = frames([HEX_A] * 3)
    unrelated = frames([HEX_B] * 10)
    assert match_video(clip, clip).matched
    assert not match_video(unrelated, clip).matched
    # Three matched seconds out of a long video: neither share nor duration is enough.
    mixed = frames([HEX_A] * 3 + [HEX_B] * 20)
    result = match_video(mixed, frames([HEX_A] * 3 + ["3" * 64] * 20))
    assert result.overlap_s == 3.0 and not result.matched


def test_low_quality_frames_are_ignored() -> None:
    blank = frames([HEX_A] * 10, quality=10)
    assert not match_video(blank, blank).matched


@pytest.mark.slow
def test_banked_clip_inside_a_longer_compilation_is_matched() -> None:
    """The point of matching both ways: 15 s banked, 60 s compilation, another size."""
    clip = list(scene_frames(1, 15, FPS))
    banked = hash_media(video_bytes(clip, FPS)).vpdq
    # Other footage, the clip half a second off the sampling grid, more footage; re-encoded
    # at 128x96 instead of 160x120.
    compilation = itertools.chain(scene_frames(2, 20.5, FPS), clip, scene_frames(3, 24.5, FPS))
    query = hash_media(video_bytes(compilation, FPS, size=(128, 96))).vpdq
    assert banked is not None and query is not None
    assert 58 <= len(query) <= 61

    result = match_video(query, banked)
    assert result.matched, result
    # threatexchange's default (80% of the query's frames) would have missed it.
    assert result.query_match_percent < 80

    without_clip = itertools.chain(scene_frames(2, 20.5, FPS), scene_frames(3, 39.5, FPS))
    other = hash_media(video_bytes(without_clip, FPS, size=(128, 96))).vpdq
    assert other is not None
    assert not match_video(other, banked).matched


@pytest.mark.slow
@pytest.mark.parametrize("size", [(160, 120), (320, 240)])
def test_features_agree_with_metas_vpdq_package(tmp_path: Path, size: tuple[int, int]) -> None:
    """At 320x240 the frames are hashed by the kernels where they are sure (hash_frame)."""
    import vpdq  # a dev dependency: the comparison must run, never skip

    data = video_bytes(scene_frames(8, 5, 25, size), 25)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    theirs = vpdq.computeHash(str(path), seconds_per_hash=1.0)
    ours = hash_video(data)
    assert [f.frame_number for f in ours] == [f.frame_number for f in theirs]
    for mine, reference in zip(ours, theirs, strict=True):
        distance = (int(mine.pdq, 16) ^ int(reference.hex, 16)).bit_count()
        assert distance <= 2
        assert abs(mine.quality - reference.quality) <= 2
        assert mine.timestamp == pytest.approx(reference.timestamp, abs=1e-3)


def test_video_signals_json_has_vpdq_and_digests() -> None:
    signals = hash_media(video_bytes(scene_frames(9, 3, 5), 5))
    body = signals.as_json()
    assert set(body) == {"vpdq", "md5", "sha256"}
    assert signals.kind == "video" and signals.pdq_variants == []
    assert len(parse_frames(body["vpdq"])) == 3


@pytest.mark.slow
def test_an_excerpt_off_the_sampling_grid_is_found_by_a_densely_sampled_side() -> None:
    """Issue 11: one frame a second on both sides misses an excerpt half a second off grid."""
    fps = 25
    full = list(panning_frames(100, 20, fps))
    sparse = hash_video(video_bytes(full, fps))
    dense = hash_video(video_bytes(full, fps), seconds_per_hash=UPLOAD_SECONDS_PER_HASH)
    start = int(5.5 * fps)
    excerpt = video_bytes(full[start : start + 8 * fps], fps, size=(128, 96))
    query = hash_video(excerpt)
    assert not match_video(query, sparse).matched  # the miss the measurement found
    found = match_video(query, dense)
    assert found.matched and found.query_match_percent >= 80 and found.overlap_s >= 5
    # Dense on the query side instead (uploads), sparse in the bank (hashes from elsewhere).
    dense_query = hash_video(excerpt, seconds_per_hash=UPLOAD_SECONDS_PER_HASH)
    reverse = match_video(dense_query, sparse)
    assert reverse.matched and reverse.query_match_percent >= 80
    assert reverse.compared_match_percent < 60  # 8 of 20 seconds: not counted four times over


@pytest.mark.slow
def test_a_shared_stretch_is_a_partial_match_and_a_whole_clip_is_not() -> None:
    fps = 4
    clip, filler, other = (list(scene_frames(s, 8, fps)) for s in (61, 62, 63))
    banked = hash_video(video_bytes(clip, fps))
    compilation = hash_video(video_bytes(filler + clip, fps), seconds_per_hash=0.25)
    unrelated = hash_video(video_bytes(filler + other, fps), seconds_per_hash=0.25)
    whole = match_video(compilation, banked)
    assert whole.compared_found_whole and not whole.query_found_whole and whole.near_complete
    shared = match_video(unrelated, compilation)
    assert shared.matched and shared.overlap_s >= 5 and not shared.near_complete
    assert shared.match_percent == max(shared.query_match_percent, shared.compared_match_percent)
