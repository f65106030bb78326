"""What media we accept and the limits that keep hostile files from hurting the service.

Uploads come from anyone, so a file is judged by its bytes (never its name or declared type),
and every cost is bounded before it is paid: bytes before reading, pixels before decoding,
duration and a time limit while decoding video (DESIGN.md: bad input is a clear 4xx, never a
crash, with bounded memory).
"""

from __future__ import annotations

from dataclasses import dataclass

from takedown.signals.base import MediaKind


class MediaRejected(Exception):
    """The media cannot be hashed; `status` is the HTTP status the API answers with.

    413 too large; 415 not an image or video we support (including mislabelled files);
    422 corrupt, empty, too many pixels, too long, or hashing took too long.
    """

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"MediaRejected({self.code!r}, {self.message!r}, {self.status})"


@dataclass(frozen=True)
class MediaLimits:
    """Bounds on what one upload may cost to hash."""

    max_bytes: int = 100 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_video_seconds: float = 600.0
    timeout_seconds: float = 30.0


def too_large(size: int, limits: MediaLimits) -> MediaRejected:
    return MediaRejected(
        "media_too_large",
        f"the file is {size} bytes; the limit is {limits.max_bytes} bytes",
        413,
    )


def empty() -> MediaRejected:
    return MediaRejected("empty_media", "the file is empty", 422)


def corrupt(detail: str) -> MediaRejected:
    return MediaRejected("corrupt_media", f"the file cannot be decoded: {detail}", 422)


def unsupported(detail: str) -> MediaRejected:
    return MediaRejected("unsupported_media", detail, 415)


def too_many_pixels(width: int, height: int, limits: MediaLimits) -> MediaRejected:
    return MediaRejected(
        "too_many_pixels",
        f"the media is {width}x{height} pixels; the limit is {limits.max_pixels} pixels",
        422,
    )


def check_size(size: int, limits: MediaLimits) -> None:
    """Refuse empty and oversized files before anything else is done with them."""
    if size == 0:
        raise empty()
    if size > limits.max_bytes:
        raise too_large(size, limits)


# ISO base media (MP4, MOV, 3GP) brands that hold still images, not video.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}


def sniff_kind(data: bytes) -> MediaKind:
    """Say whether `data` is an image or a video by its magic bytes.

    The name and the declared content type are ignored: a text file named `.jpg` is refused
    here (415) rather than handed to a decoder.
    """
    if not data:
        raise empty()
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image"  # JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head[:2] == b"BM" and len(head) >= 26:
        return "image"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image"  # TIFF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            raise unsupported(f"{brand.decode('ascii', 'replace')} images are not supported")
        return "video"  # MP4, MOV, 3GP, M4V
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"  # Matroska, WebM
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if head.startswith(b"FLV"):
        return "video"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "video"  # ASF, WMV
    if head.startswith(b"\x00\x00\x01\xba") or head.startswith(b"\x00\x00\x01\xb3"):
        return "video"  # MPEG program stream, MPEG-1/2 elementary stream
    if len(data) > 376 and data[0] == 0x47 and data[188] == 0x47 and data[376] == 0x47:
        return "video"  # MPEG transport stream: a sync byte every 188 bytes
    if head.startswith(b"OggS"):
        return "video"
    raise unsupported("the file is not an image or video format we support")
