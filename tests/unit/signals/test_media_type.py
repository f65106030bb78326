"""The media type is what the bytes decode as (issue 10.1), never a declared one."""

from __future__ import annotations

from takedown.signals.media_type import detected_type
from tests.support.review import synthetic_png
from tests.support.synthetic_media import encoded, scene_frames, synthetic_image, video_bytes


def test_images_are_typed_by_their_decoded_format() -> None:
    assert detected_type(synthetic_png(1)) == "image/png"
    assert detected_type(encoded(synthetic_image(2, (64, 48)), "JPEG", quality=80)) == "image/jpeg"
    assert detected_type(synthetic_png(1) + b"<html><script>alert(1)</script>") == "image/png"


def test_a_video_is_typed_only_when_a_frame_decodes() -> None:
    clip = video_bytes(scene_frames(3, seconds=1, fps=4), fps=4)
    assert detected_type(clip) == "video/mp4"
    junk = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 4
    assert detected_type(junk) is None


def test_pages_text_and_truncated_images_have_no_media_type() -> None:
    assert detected_type(b"<!doctype html><p>hello</p>") is None
    assert detected_type(b"GIF89a<script>alert(1)</script>") is None
    assert detected_type(synthetic_png(3)[:60]) is None
    assert detected_type(b"") is None
