"""Hostile media get a clear 4xx (as MediaRejected) with bounded cost, never a crash."""

from __future__ import annotations

import struct
import time
import zlib

import pytest

from takedown.signals.hashing import hash_media
from takedown.signals.media import MediaLimits, MediaRejected, sniff_kind
from tests.support.synthetic_media import encoded, scene_frames, synthetic_image, video_bytes


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header for a huge greyscale image with a few rows of zeros as its data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def rejected(data: bytes, limits: MediaLimits | None = None) -> MediaRejected:
    with pytest.raises(MediaRejected) as caught:
        hash_media(data, limits or MediaLimits())
    return caught.value


def test_decompression_bomb_png_is_refused_from_its_header() -> None:
    bomb = png_claiming(20_000, 20_000)
    started = time.perf_counter()
    error = rejected(bomb)
    assert (error.status, error.code) == (422, "too_many_pixels")
    # Decoding 400 million pixels would take seconds and 400 MB; the header check does not.
    assert time.perf_counter() - started < 0.5


def test_truncated_jpeg_is_corrupt() -> None:
    jpeg = encoded(synthetic_image(1), "JPEG", quality=90)
    error = rejected(jpeg[: len(jpeg) // 2])
    assert (error.status, error.code) == (422, "corrupt_media")


def test_text_named_jpg_is_unsupported() -> None:
    error = rejected(b"this is a text file, whatever its name says\n")
    assert (error.status, error.code) == (415, "unsupported_media")


def test_empty_upload_is_refused() -> None:
    error = rejected(b"")
    assert (error.status, error.code) == (422, "empty_media")


def test_too_many_bytes_is_413() -> None:
    png = encoded(synthetic_image(2))
    error = rejected(png, MediaLimits(max_bytes=len(png) - 1))
    assert (error.status, error.code) == (413, "media_too_large")


def test_pixel_limit_applies_to_ordinary_images() -> None:
    png = encoded(synthetic_image(3, (100, 100)))
    error = rejected(png, MediaLimits(max_pixels=9_999))
    assert (error.status, error.code) == (422, "too_many_pixels")


def test_png_with_garbage_body_is_corrupt() -> None:
    error = rejected(b"\x89PNG\r\n\x1a\n" + b"\x13" * 200)
    assert error.status == 422


def test_video_longer_than_the_limit_is_refused() -> None:
    video = video_bytes(scene_frames(4, 4, 5), 5)
    error = rejected(video, MediaLimits(max_video_seconds=2))
    assert (error.status, error.code) == (422, "video_too_long")


def test_video_hashing_has_a_time_limit() -> None:
    video = video_bytes(scene_frames(5, 2, 5), 5)
    error = rejected(video, MediaLimits(timeout_seconds=0))
    assert (error.status, error.code) == (422, "hashing_timeout")


def test_truncated_video_is_corrupt() -> None:
    video = video_bytes(scene_frames(6, 2, 5), 5)
    error = rejected(video[: len(video) // 3])
    assert (error.status, error.code) == (422, "corrupt_media")


def test_video_pixel_limit() -> None:
    video = video_bytes(scene_frames(7, 1, 5), 5)
    error = rejected(video, MediaLimits(max_pixels=160 * 120 - 1))
    assert (error.status, error.code) == (422, "too_many_pixels")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image"),
        (b"GIF89a" + b"\x00" * 20, "image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image"),
        (b"\x00\x00\x00\x18ftypisom" + b"\x00" * 20, "video"),
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 20, "video"),
    ],
)
def test_kind_is_judged_by_magic_bytes(head: bytes, kind: str) -> None:
    assert sniff_kind(head) == kind


def test_still_image_in_an_mp4_box_is_not_taken_for_video() -> None:
    with pytest.raises(MediaRejected) as caught:
        sniff_kind(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20)
    assert caught.value.status == 415
