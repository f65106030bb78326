"""Synthetic media for the demo and the replays: shapes, gradients, noise and text, never photos.

Everything is deterministic in its seed, so the same seed gives the same bytes (a re-upload of
the same file) and a scenario can put "the same video" on two accounts.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 320, 240


@dataclass(frozen=True)
class Media:
    data: bytes
    media_type: str
    filename: str


def _palette(rng: random.Random) -> list[tuple[int, int, int]]:
    return [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(6)]


def picture(seed: int, label: str = "", width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """A generated picture: a two-colour gradient, random shapes, some noise and a caption."""
    rng = random.Random(seed)
    colours = _palette(rng)
    top, bottom = colours[0], colours[1]
    gradient = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        gradient.putpixel(
            (0, y), tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    image = gradient.resize((width, height))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 9)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randint(20, width // 2), y0 + rng.randint(20, height // 2)
        colour = colours[rng.randrange(2, len(colours))]
        shape = rng.choice(("ellipse", "rectangle", "polygon"))
        if shape == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == "rectangle":
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            points = [(rng.randrange(width), rng.randrange(height)) for _ in range(3)]
            draw.polygon(points, fill=colour)
    # Seeded noise (PIL's effect_noise is not), so that the same seed gives the same bytes.
    grain = numpy.random.default_rng(seed).normal(128, 24, (height, width))
    noise = Image.fromarray(grain.clip(0, 255).astype("uint8"), "L").convert("RGB")
    image = Image.blend(image, noise, 0.08).filter(ImageFilter.SMOOTH)
    if label:
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, height - 22, width, height), fill=(0, 0, 0))
        draw.text((6, height - 18), label[:48], fill=(255, 255, 255))
    return image


def image(seed: int, label: str = "") -> Media:
    """A JPEG of `picture(seed, label)`."""
    buffer = io.BytesIO()
    picture(seed, label).save(buffer, format="JPEG", quality=88)
    return Media(buffer.getvalue(), "image/jpeg", f"synthetic-{seed}.jpg")


def video(seed: int, seconds: int = 6, fps: int = 4, label: str = "") -> Media:
    """A short MP4 made of generated scenes: one scene per two seconds, each drifting slowly.

    Scenes change so that a frame-by-frame hash (vPDQ) sees distinct frames, as in a real
    compilation; PyAV's bundled FFmpeg encodes it.
    """
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = WIDTH, HEIGHT
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28"}
        scenes = [picture(seed * 1000 + s, label) for s in range(max(1, seconds // 2))]
        for index in range(seconds * fps):
            scene = scenes[min(len(scenes) - 1, index // (2 * fps))]
            shift = index % (2 * fps)
            frame_image = scene.rotate(0, translate=(shift, 0))
            frame = av.VideoFrame.from_image(frame_image)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return Media(buffer.getvalue(), "video/mp4", f"synthetic-{seed}.mp4")


def generate(kind: str, seed: int, label: str = "") -> Media:
    if kind == "image":
        return image(seed, label)
    if kind == "video":
        return video(seed, label=label)
    raise ValueError(f"unknown media kind {kind!r}; use image or video")


# Seeds of the pictures whose hashes `takedown demo` puts in its synthetic child-safety bank, so
# that a visitor can upload "a known picture" and watch it being blocked. Synthetic test data.
KNOWN_SEEDS = tuple(range(990_001, 990_006))
KNOWN_LABEL = "SYNTHETIC TEST PICTURE"


def known_image(index: int) -> Media:
    return image(KNOWN_SEEDS[index % len(KNOWN_SEEDS)], KNOWN_LABEL)
