"""Hostile uploads are refused cleanly; videos are held, hashed by a job, and released."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from takedown.store.models import ContentItem
from tests.support.banks import add_hashes, content, count, make_bank, upload
from tests.support.factories import Api
from tests.support.receiver import WebhookReceiver
from tests.support.synthetic_media import scene_frames, video_bytes


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(side: int = 20_000) -> bytes:
    """A real 20000x20000 1-bit PNG: a few kilobytes that decode to 400 million pixels."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * ((side // 8 + 1) * side), 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


HOSTILE = {
    "decompression bomb": (huge_png(), "bomb.png"),
    "truncated jpeg": (None, "cut.jpg"),
    "text named .jpg": (b"this is not a picture at all\n" * 20, "photo.jpg"),
    "empty file": (b"", "empty.jpg"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_uploads_get_a_4xx_and_leave_nothing_behind(api: Api, case: str) -> None:
    data, name = HOSTILE[case]
    if data is None:
        from tests.support.synthetic_media import encoded, synthetic_image

        full = encoded(synthetic_image(30, (640, 480)), "JPEG", quality=90)
        data = full[: len(full) // 3]
    response = upload(api, "hostile", data, name=name)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert count(api, ContentItem) == 0
    held = Path(api.runtime.settings.data_dir) / "held-videos"
    assert not held.exists() or not any(held.iterdir())


def test_a_video_is_held_hashed_by_a_job_and_released_by_webhook(
    api: Api, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    clip = video_bytes(scene_frames(40, seconds=3, fps=4), fps=4)
    response = upload(api, "vid", clip, name="clip.mp4")
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["verdict"], out["state"]) == ("hold", "restricted")
    assert "vpdq" not in out["signals"] and out["signals"]["md5"]
    held = Path(api.runtime.settings.data_dir) / "held-videos"
    assert len(list(held.iterdir())) == 1

    api.runtime.worker.drain()
    assert content(api, "vid")["state"] == "visible"
    assert not any(held.iterdir())  # media are not kept, only their signals
    [delivery] = receiver.wait_for(1, timeout=10)
    assert delivery.json["type"] == "content.restored"
    assert delivery.json["data"]["content_id"] == "vid"
    with api.runtime.transaction() as session:
        from sqlalchemy import select

        stored = session.scalars(select(ContentItem).where(ContentItem.content_id == "vid")).one()
        assert {s.signal for s in stored.signals} == {"md5", "sha256", "vpdq"}


def test_a_video_matching_a_banked_clip_is_restricted_by_webhook(
    api: Api, receiver: WebhookReceiver
) -> None:
    api.webhook(receiver)
    make_bank(api, "csam-test", action="hold", child_safety=True)
    frames = list(scene_frames(41, seconds=6, fps=2))
    upload(api, "first", video_bytes(frames, fps=2), name="a.mp4")
    api.runtime.worker.drain()
    with api.runtime.transaction() as session:
        from sqlalchemy import select

        from takedown.store.models import ContentSignal

        value = session.scalars(
            select(ContentSignal.value).where(ContentSignal.signal == "vpdq")
        ).one()
    add_hashes(api, "csam-test", {"signal": "vpdq", "value": value})
    api.runtime.worker.drain()
    assert content(api, "first")["state"] == "restricted"

    again = upload(api, "second", video_bytes(frames, fps=2, size=(128, 96)), name="b.mp4")
    assert again.json()["verdict"] == "hold"
    api.runtime.worker.drain()
    second = content(api, "second")
    assert second["state"] == "restricted" and second["case_ids"]
    types = {(d.json["type"], d.json["data"]["content_id"]) for d in receiver.wait_for(3, 10)}
    assert ("content.restricted", "second") in types
    assert ("content.restricted", "first") in types
