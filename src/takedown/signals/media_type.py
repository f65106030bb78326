"""The media type of a file as Takedown found it in the bytes, never as anyone declared it.

A platform (or the server behind a registered url) may say `text/html` about a PNG with a page
appended; a browser that believes it runs the page in the staff origin (issue 10.1). So the
type Takedown stores and serves is the one found here: an image Pillow decoded, or a video
whose container it recognised. Anything else has no media type and is never shown inline.
"""

from __future__ import annotations

import io
import warnings

from takedown.signals.media import MediaLimits, MediaRejected, sniff_kind

# The formats Pillow decodes that browsers show as images; others are kept but not shown.
_IMAGE_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}

OPAQUE = "application/octet-stream"


def detected_type(data: bytes, limits: MediaLimits | None = None) -> str | None:
    """`image/png`, `video/mp4`, ... for media Takedown can decode; None for anything else."""
    limits = limits or MediaLimits()
    try:
        kind = sniff_kind(data)
    except MediaRejected:
        return None
    if kind == "video":
        return _video_type(data) if _first_frame_decodes(data, limits) else None
    return _image_type(data, limits)


def _image_type(data: bytes, limits: MediaLimits) -> str | None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > limits.max_pixels:
                    return None  # refused before decoding, like the hasher does
                image.load()
                found = _IMAGE_TYPES.get(image.format or "")
    except Exception:  # any decoder failure means "not an image we decoded"
        return None
    return found


def _first_frame_decodes(data: bytes, limits: MediaLimits) -> bool:
    """Whether FFmpeg finds a video stream of a bounded size and decodes a frame of it: a file
    that only starts like a video is not one (the vPDQ job decodes the rest, with its limits)."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                return False
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width <= 0 or height <= 0 or width * height > limits.max_pixels:
                return False
            for _frame in container.decode(stream):
                return True
    except Exception:  # any demuxer or decoder failure means "not a video we decoded"
        return False
    return False


def _video_type(data: bytes) -> str:
    head = data[:64]
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in data[:64] else "video/x-matroska"
    if head[:4] == b"RIFF":
        return "video/x-msvideo"
    if head.startswith(b"FLV"):
        return "video/x-flv"
    if head.startswith(b"\x30\x26\xb2\x75"):
        return "video/x-ms-asf"
    if head.startswith(b"OggS"):
        return "video/ogg"
    if head.startswith(b"\x00\x00\x01"):
        return "video/mpeg"
    return "video/mp2t"
