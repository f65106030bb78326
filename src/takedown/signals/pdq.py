"""PDQ, Meta's perceptual image hash: 256 bits compared by Hamming distance.

Two images whose PDQ hashes are within 31 bits are the same picture for matching purposes
(API.md). The hash is computed with `pdqhash` (Meta's reference code), in the same hex
layout as `threatexchange`, so hashes exchanged with other tools compare correctly.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from takedown.signals import pdq_kernel
from takedown.signals.base import MediaKind, normalise_hex
from takedown.signals.media import (
    MediaLimits,
    MediaRejected,
    corrupt,
    too_many_pixels,
    unsupported,
)

HEX_LENGTH = 64
BITS = 256
MATCH_THRESHOLD = 31
"""Meta's recommended distance for a confident PDQ match."""
QUALITY_MIN = 50
"""Below this quality a hash describes a near-featureless image: stored, never acted on alone."""

# PDQ reduces every image to 64x64 after a blur whose window scales with the image, so a
# large image is decoded at reduced size (a 4000x3000 JPEG at 1/4 scale, by DCT scaling) and
# the full-size blur and sampling are applied to the reduced pixels (pdq_kernel): the hash is
# the full-size one within a bit or two, at a fraction of the decoding cost.
REDUCED_SIDE = 512


def validate(value: object) -> str:
    """Canonical lower-case hex of a PDQ hash, or ValueError."""
    return normalise_hex(value, HEX_LENGTH, "pdq")


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two PDQ hashes given as hex."""
    return (int(validate(a), 16) ^ int(validate(b), 16)).bit_count()


def bits_to_hex(bits: NDArray[np.uint8] | list[int]) -> str:
    """The 256-element bit vector pdqhash returns, as 64 hex digits (first bit most significant)."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hash_pixels(pixels: NDArray[np.uint8]) -> tuple[str, int]:
    """PDQ hash and quality of an RGB array (height x width x 3), by pdqhash itself."""
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return bits_to_hex(bits), int(quality)


FRAME_KERNEL_PIXELS = 50_000
"""Below this pdqhash's own pass is cheaper than the kernels' setup (160x120: 0.26 against
0.37 ms); from 320x240 the kernels take a third of its time."""


def hash_frame(pixels: NDArray[np.uint8]) -> tuple[str, int]:
    """`hash_pixels`'s result, from the kernels where they are sure of it (see
    `hash_with_variants`): the same hash and quality at a fraction of pdqhash's pass."""
    height, width = pixels.shape[:2]
    if width * height < FRAME_KERNEL_PIXELS:
        return hash_pixels(pixels)
    kernel = pdq_kernel.hash_luma(pdq_kernel.luma(pixels), (width, height), variants=False)
    if kernel.certain:
        return kernel.pdq, kernel.quality
    return hash_pixels(pixels)


@dataclass(frozen=True)
class ImageHash:
    """An image's PDQ hash with its quality and its eight dihedral variants.

    `variants` are the hashes of the image as it is (first, equal to `pdq`), turned by 90,
    180 and 270 degrees, and mirrored four ways. Looking all of them up against a bank
    catches a mirrored or rotated re-upload (issue #3: "PDQ's rotated and flipped variants
    are matched too").
    """

    pdq: str
    quality: int
    variants: list[str] = field(default_factory=list)


def open_image(data: bytes, limits: MediaLimits) -> Image.Image:
    """Open an image and check its pixel count from the header, before decoding anything.

    A 20000x20000 PNG is a few kilobytes on the wire and over a gigabyte decoded; it is
    refused here at the cost of reading its header.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise corrupt("not a readable image") from None
    except Image.DecompressionBombError:
        # Pillow's own guard, for images far beyond any sane limit; ours is checked below.
        raise MediaRejected("too_many_pixels", "the image has too many pixels", 422) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise corrupt(str(exc) or type(exc).__name__) from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise corrupt("the image has no pixels")
    if width * height > limits.max_pixels:
        raise too_many_pixels(width, height, limits)
    return image


def decode_reduced(image: Image.Image) -> tuple[Image.Image, int]:
    """Decode, a large JPEG at reduced size by DCT scaling (draft): decoding is most of the
    cost, and a JPEG's DCT gives a reduced image almost for free.

    Returns the RGB image and the factor it was reduced by (1 when it was not). Other formats
    are decoded whole anyway, so they are hashed whole: exactly the reference hash, even for
    patterns that a reduction would alias.
    """
    full_width = image.size[0]
    if image.format == "JPEG":
        image.draft("RGB", (REDUCED_SIDE, REDUCED_SIDE))
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        # Pillow says "image file is truncated" for a cut-off JPEG.
        raise corrupt(str(exc) or type(exc).__name__) from None
    # DCT scaling is by 1/2, 1/4 or 1/8, its output rounded up: the ratio rounds to the scale.
    scale = max(1, round(full_width / image.size[0]))
    if image.mode != "RGB":
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            # Transparent pixels show as the page behind them; white is what most viewers use.
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, rgba).convert("RGB")
        else:
            image = image.convert("RGB")
    return image, scale


@dataclass(frozen=True)
class DecodedImage:
    """An image file decoded once for every image signal.

    `source` is the picture as decoded, in its own mode, for signals that read it otherwise
    (orb's greyscale); it is None for a JPEG, whose decoder was asked for RGB (and for a
    large one, reduced size), which another signal asking for grey would not get.
    """

    pixels: NDArray[np.uint8]
    full_size: tuple[int, int]
    factor: int
    source: Image.Image | None


def decode(data: bytes, limits: MediaLimits | None = None) -> DecodedImage:
    """Decode an image file for hashing; raises MediaRejected."""
    limits = limits or MediaLimits()
    image = open_image(data, limits)
    full_size = image.size
    try:
        rgb, factor = decode_reduced(image)
        pixels = np.asarray(rgb, dtype=np.uint8)
    except MediaRejected:
        raise
    except Exception as exc:
        # A decoder error on hostile input must be a 4xx, not a crash.
        raise corrupt(str(exc) or type(exc).__name__) from None
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise unsupported(f"unsupported image mode {image.mode}")
    if min(pixels.shape[0], pixels.shape[1]) < 5:
        raise corrupt("the image is too small to hash")
    source = None if image.format == "JPEG" else image
    return DecodedImage(pixels, full_size, factor, source)


def hash_decoded(decoded: DecodedImage) -> ImageHash:
    """PDQ with its quality and dihedral variants of a decoded image."""
    if decoded.factor == 1:
        return hash_with_variants(decoded.pixels)
    kernel = pdq_kernel.hash_luma(
        pdq_kernel.luma(decoded.pixels), decoded.full_size, decoded.factor
    )
    return ImageHash(pdq=kernel.pdq, quality=kernel.quality, variants=kernel.variants)


def hash_image(data: bytes, limits: MediaLimits | None = None) -> ImageHash:
    """PDQ of an image file with its quality and dihedral variants; raises MediaRejected."""
    return hash_decoded(decode(data, limits))


# The seven other ways to lay an image down, in pdqhash's dihedral order: turned a quarter,
# half and three quarters, and mirrored top-bottom, left-right and across both diagonals.
# (What `hash_with_variants` computes without turning anything; tests turn the pixels.)
TURNS = (
    lambda p: np.rot90(p, 1),
    lambda p: np.rot90(p, 2),
    lambda p: np.rot90(p, 3),
    lambda p: p[::-1, :],
    lambda p: p[:, ::-1],
    lambda p: np.transpose(p, (1, 0, 2)),
    lambda p: np.rot90(p, 2).transpose(1, 0, 2),
)


KERNEL_ONLY_PIXELS = 2_000_000
"""From this size the kernels' hash is kept even near a rounding edge: pdqhash's own pass on a
large flat picture (cheap to send as PNG) would cost seconds, for a hash of no use alone."""


def hash_with_variants(pixels: NDArray[np.uint8]) -> ImageHash:
    """PDQ, quality and the eight dihedral variants of an RGB array, all at full size.

    The kernels (pdq_kernel) give all eight from one pair of products, about a sixth of
    pdqhash's own pass on a 1024x768 image (its column blur strides badly on widths that are
    multiples of 128). Their hash and quality are pdqhash's whenever no value is within
    rounding margin of a change (`KernelHash.certain`: about four images in five); for the
    rest (flat, symmetric or noisy pictures mostly) pdqhash itself is asked, so the hash
    stored is always the reference's. Its DCT-domain variants are used only where they are
    exact (`pdq_kernel.mirror_symmetric` on both axes); elsewhere they drift up to 22 bits
    from the turned image's hash, and the kernels' variants are kept.
    """
    height, width = pixels.shape[:2]
    kernel = pdq_kernel.hash_luma(pdq_kernel.luma(pixels), (width, height))
    if kernel.certain or width * height >= KERNEL_ONLY_PIXELS:
        return ImageHash(pdq=kernel.pdq, quality=kernel.quality, variants=kernel.variants)
    contiguous = np.ascontiguousarray(pixels)
    if pdq_kernel.mirror_symmetric(width) and pdq_kernel.mirror_symmetric(height):
        vectors, quality = pdqhash.compute_dihedral(contiguous)
        variants = [bits_to_hex(v) for v in vectors]
        return ImageHash(pdq=variants[0], quality=int(quality), variants=variants)
    hex_hash, quality = hash_pixels(contiguous)
    return ImageHash(pdq=hex_hash, quality=quality, variants=[hex_hash, *kernel.variants[1:]])


@dataclass(frozen=True)
class PdqSignal:
    """The `pdq` signal type: 64 hex digits, matched within a Hamming distance."""

    name: str = "pdq"
    media_kinds: frozenset[MediaKind] = frozenset({"image"})
    exact: bool = False
    threshold: int = MATCH_THRESHOLD

    def validate(self, value: object) -> str:
        return validate(value)

    def distance(self, a: str, b: str) -> int:
        return hamming(a, b)

    def acts_alone(self, quality: int | None, quality_min: int = QUALITY_MIN) -> bool:
        return quality is None or quality >= quality_min


PDQ = PdqSignal()
