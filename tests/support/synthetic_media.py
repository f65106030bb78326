"""Synthetic media for tests and benchmarks: gradients, shapes, noise and text, never photos.

DESIGN.md: only synthetic media, generated where it is used; nothing here resembles a person.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def synthetic_image(seed: int, size: tuple[int, int] = (256, 256)) -> Image.Image:
    """A distinct picture per seed: a gradient, a dozen shapes, a little noise and a word."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * x / width + np.sin(angle) * y / height + 1) / 2
    colours = rng.integers(0, 256, size=(2, 3))
    base = colours[0] * (1 - ramp[..., None]) + colours[1] * ramp[..., None]
    image = Image.fromarray(base.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(8, 16))):
        x0, y0 = int(rng.integers(-width // 4, width)), int(rng.integers(-height // 4, height))
        x1 = x0 + int(rng.integers(width // 10, width // 2))
        y1 = y0 + int(rng.integers(height // 10, height // 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = rng.integers(0, 4)
        if shape == 0:
            draw.ellipse([x0, y0, x1, y1], fill=fill)
        elif shape == 1:
            draw.rectangle([x0, y0, x1, y1], fill=fill)
        elif shape == 2:
            points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(3)]
            draw.polygon(points, fill=fill)
        else:
            draw.line([x0, y0, x1, y1], fill=fill, width=int(rng.integers(2, 10)))
    draw.text(
        (int(rng.integers(0, width // 2)), int(rng.integers(0, height - 20))),
        f"sample {seed}",
        fill=(255, 255, 255),
        font=ImageFont.load_default(size=max(12, height // 12)),
    )
    pixels = np.asarray(image, dtype=np.int16)
    noise = rng.normal(0, 4, pixels.shape)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8), "RGB")


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    """The image as file bytes (PNG at low compression: tests need speed, not small files)."""
    if fmt == "PNG":
        options.setdefault("compress_level", 1)
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def with_caption(image: Image.Image, text: str = "LOOK AT THIS") -> Image.Image:
    """The image with a meme-style caption: white capitals with a dark outline near the bottom."""
    captioned = image.copy()
    width, height = captioned.size
    size = max(10, height // 14)
    draw = ImageDraw.Draw(captioned)
    draw.text(
        (width // 2, height - size // 2 - height // 20),
        text,
        fill=(255, 255, 255),
        stroke_width=max(1, size // 12),
        stroke_fill=(0, 0, 0),
        anchor="mm",
        font=ImageFont.load_default(size=size),
    )
    return captioned


def scene_frames(
    seed: int, seconds: float, fps: int, size: tuple[int, int] = (160, 120)
) -> Iterator[np.ndarray]:
    """Frames of a slowly changing synthetic scene: shapes drifting over a gradient.

    Motion is slow, as in real footage, so frames a fraction of a second apart look alike.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    still = np.asarray(synthetic_image(seed, (width * 2, height * 2)), dtype=np.uint8)
    velocity = rng.uniform(-1, 1, size=2) * np.array([width, height]) / 40  # pixels a second
    for number in range(int(seconds * fps)):
        t = number / fps
        dx = int(width / 2 + velocity[0] * t) % width
        dy = int(height / 2 + velocity[1] * t) % height
        frame = still[dy : dy + height, dx : dx + width]
        shade = np.uint8(int(40 * t / max(seconds, 1)) % 40)
        yield np.ascontiguousarray(frame + shade)


def video_bytes(
    frames: Iterator[np.ndarray] | list[np.ndarray],
    fps: int,
    size: tuple[int, int] | None = None,
) -> bytes:
    """Frames encoded as an H.264 MP4 in memory, resized to `size` if given."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        first = True
        for pixels in frames:
            image = Image.fromarray(pixels, "RGB")
            if size is not None:
                image = image.resize(size, Image.Resampling.BILINEAR)
            if first:
                stream.width, stream.height = image.size
                first = False
            frame = av.VideoFrame.from_image(image)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def panning_frames(
    seed: int, seconds: float, fps: int, speed: float = 0.04, size: tuple[int, int] = (160, 120)
) -> Iterator[np.ndarray]:
    """A camera panning across a large synthetic scene at `speed` frame widths a second.

    Fast enough that frames half a second apart hash differently, as in handheld footage:
    what makes the sampling phase of an excerpt matter.
    """
    width, height = size
    still = np.asarray(synthetic_image(seed, (width * 4, height * 4)), dtype=np.uint8)
    angle = np.random.default_rng(seed).uniform(0, 2 * np.pi)
    for number in range(int(seconds * fps)):
        t = number / fps
        dx = int(1.5 * width + np.cos(angle) * speed * width * t) % (3 * width)
        dy = int(1.5 * height + np.sin(angle) * speed * height * t) % (3 * height)
        yield np.ascontiguousarray(still[dy : dy + height, dx : dx + width])
