"""PDQ as a pair of small matrix products, so a reduced decode still gives the reference hash.

pdqhash blurs the luminance with two passes of a Jarosz box filter along each axis and keeps
64x64 samples of the result. Every step is linear and separable, so the 64x64 buffer is
`Ky @ L @ Kx.T`, where `K` (64 x axis length) depends only on the axis length. Two things
follow:

- An image decoded at reduced size (JPEG DCT scaling, a box reduction by `factor`) holds
  block means of the full-size luminance; summing each kernel row over the blocks gives the
  64x64 buffer of the *full-size* image from the reduced pixels, within a bit or two of
  pdqhash on the full pixels (a reduced decode fed to pdqhash was up to 8 bits off: its blur
  window and sample points are those of the small image, not the original's).
- The eight dihedral variants are exact: a flipped axis is a kernel with its columns
  reversed, a transpose is the buffer transposed. pdqhash's DCT-domain shortcut assumes the
  blur and the sampling are symmetric, which they are only for some sizes
  (`mirror_symmetric`; elsewhere up to 22 bits off).
- On full-size pixels the products are pdqhash's blur in another summation order: they give
  its hash and quality except where a value sits within rounding of a change, and they say
  when that may be so (`KernelHash.certain`), so the caller can ask pdqhash then.

The DCT, median and quality steps follow pdqhashing.cpp (as static/public/pdq.js does).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

Floats = NDArray[np.float64]

_DCT = np.array(
    [
        [np.sqrt(2.0 / 64) * np.cos(np.pi / 2 / 64 * (i + 1) * (2 * j + 1)) for j in range(64)]
        for i in range(16)
    ],
    dtype=np.float32,
).astype(np.float64)


def luma(pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Luminance as pdqhash computes it from RGB."""
    # Single precision, as pdqhash stores it: a 50-megapixel PNG is 200 MB of it, not 400.
    out = pixels[..., 0] * np.float32(0.299)
    out += pixels[..., 1] * np.float32(0.587)
    out += pixels[..., 2] * np.float32(0.114)
    return out


def _box_rows(length: int, window: int) -> list[tuple[int, int]]:
    """The input span [lo, hi] each output of downscaling.cpp's box1DFloat averages."""
    half = (window + 2) // 2
    return [(max(0, o - (window - half)), min(length - 1, o + half - 1)) for o in range(length)]


@lru_cache(maxsize=64)
def _full_kernel(length: int) -> Floats:
    """64 x length: the two box passes and the decimation of one axis of `length` pixels."""
    window = max(1, (length + 2 * 64 - 1) // (2 * 64))
    spans = _box_rows(length, window)
    kernel = np.zeros((64, length))
    for k in range(64):
        sample = int((k + 0.5) * length / 64)
        lo, hi = spans[sample]
        # Row `sample` of B @ B: the average over [lo, hi] of B's rows.
        for i in range(lo, hi + 1):
            a, b = spans[i]
            kernel[k, a : b + 1] += 1.0 / (hi - lo + 1) / (b - a + 1)
    kernel.setflags(write=False)
    return kernel


@lru_cache(maxsize=64)
def axis_kernel(length: int, factor: int, reduced: int) -> Floats:
    """64 x reduced: the full-size kernel of `length` pixels summed over blocks of `factor`.

    The last block may be partial (or the reduced axis one longer or shorter than
    length / factor, as decoders round); its weight goes to the reduced pixel it lands in.
    """
    full = _full_kernel(length)
    if factor == 1 and reduced == length:
        return full
    blocks = np.minimum(np.arange(length) // factor, reduced - 1)
    kernel = np.zeros((64, reduced))
    np.add.at(kernel.T, blocks, full.T)
    kernel.setflags(write=False)
    return kernel


@lru_cache(maxsize=64)
def _pair(length: int, factor: int, reduced: int) -> NDArray[np.float32]:
    """reduced x 128: an axis kernel and its mirror image, transposed, for one product."""
    kernel = axis_kernel(length, factor, reduced)
    pair = np.ascontiguousarray(np.concatenate([kernel, kernel[:, ::-1]]).T, dtype=np.float32)
    pair.setflags(write=False)
    return pair


@lru_cache(maxsize=64)
def _bands(
    length: int, factor: int, reduced: int
) -> tuple[tuple[int, int, NDArray[np.float32]], ...]:
    """The nonzero span of each of the pair's 128 columns: a kernel row touches only about
    four blur windows of pixels, so a wide axis is summed span by span, not as a dense
    product (a 4000-pixel axis: 64 pixels per sample instead of 4000)."""
    pair = _pair(length, factor, reduced)
    out = []
    for k in range(pair.shape[1]):
        nonzero = np.flatnonzero(pair[:, k])
        lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1
        out.append((lo, hi, np.ascontiguousarray(pair[lo:hi, k])))
    return tuple(out)


def _across(
    plane: NDArray[np.float32], length: int, factor: int, columns: int = 128
) -> NDArray[np.float32]:
    """plane @ _pair(...)[:, :columns]: dense for a narrow plane, span by span for a wide one
    (64 columns: the kernel without its mirror image)."""
    cols = plane.shape[1]
    if cols <= 1024:
        return plane @ _pair(length, factor, cols)[:, :columns]
    out = np.empty((plane.shape[0], columns), dtype=np.float32)
    for k, (lo, hi, weights) in enumerate(_bands(length, factor, cols)[:columns]):
        out[:, k] = plane[:, lo:hi] @ weights
    return out


def mirror_symmetric(length: int) -> bool:
    """Whether mirroring an axis of `length` pixels mirrors its kernel exactly.

    Then the mirrored image's 64x64 buffer is the buffer mirrored, and pdqhash's DCT-domain
    variants (`compute_dihedral`: signs and a transpose of one DCT) are the turned image's
    hashes. That holds when the sample points and the box windows are centred: the length is
    not a multiple of 128 and the window (length / 128, rounded up) is odd, as for 800x600
    or 1080 rows; not for 1024x768, 640x480 or 1920 columns, where they drift up to 22 bits.
    """
    kernel = _full_kernel(length)
    return bool(np.array_equal(kernel, kernel[::-1, ::-1]))


# pdqhash sums the blur (and its DCT) in float32 as running sums, in another order than these
# products: the two agree to a few ten-thousandths on a 1024x768 image. Over 400 synthetic
# pictures, JPEGs, ramps and noise of 60-1500 pixels a side, the largest difference of a DCT
# coefficient was 0.38 `_scale` units (the median 0.03). A result is taken for pdqhash's only
# when no coefficient is within COEFFICIENT_MARGIN units of crossing the median and no quality
# term within BUFFER_MARGIN units of truncating otherwise; else the caller asks pdqhash.
# (Checked on another 480: none trusted wrongly; four pictures in five trusted. A wrong trust
# would cost a bit or two of difference from pdqhash, not a match.)
COEFFICIENT_MARGIN = 1.0
BUFFER_MARGIN = 0.5


def _scale(width: int, height: int) -> float:
    """How far float32 rounding can move a blurred value or a coefficient: the running sums'
    length (both axes, and the DCT's 64 terms each way) times a full-scale pixel's rounding
    step (2^-24 of 255)."""
    return (width + height + 128) * 255 * 2.0**-24


def _median(values: NDArray[np.float32]) -> np.float32:
    """torben.cpp's median of 256 values: the lower middle one."""
    return np.sort(values.ravel())[(values.size - 1) // 2]


def _hex(dct: Floats) -> str:
    """pdqhash's bit layout: 16 words of 16 bits, the last DCT row first."""
    values = dct.astype(np.float32)
    bits = values > _median(values)
    # Word i holds row i with column 0 as its lowest bit, printed last row first.
    return np.packbits(bits[::-1, ::-1]).tobytes().hex()


def _gradients(buffer: Floats) -> NDArray[np.float32]:
    """pdqhash's quality terms: each neighbour difference as a share of full scale, x100."""
    b = buffer.astype(np.float32)
    down = (b[:-1, :] - b[1:, :]) * np.float32(100) / np.float32(255)
    across = (b[:, :-1] - b[:, 1:]) * np.float32(100) / np.float32(255)
    return np.concatenate([down.ravel(), across.ravel()])


def _quality_of(terms: NDArray[np.float32]) -> int:
    return min(100, int(np.abs(np.trunc(terms)).sum()) // 90)


def _quality(buffer: Floats) -> int:
    return _quality_of(_gradients(buffer))


def _quality_certain(terms: NDArray[np.float32], tolerance: float) -> bool:
    """Whether moving every term by up to `tolerance` leaves the quality as it is: each term
    within that of a nonzero whole number may truncate one step either way."""
    magnitude = np.abs(terms)
    nearest = np.rint(magnitude)
    unsure = int(np.count_nonzero((nearest >= 1) & (np.abs(magnitude - nearest) <= tolerance)))
    total = int(np.trunc(magnitude).sum())
    return min(100, (total - unsure) // 90) == min(100, (total + unsure) // 90)


def _hash_certain(dct: Floats, tolerance: float) -> bool:
    """Whether moving every coefficient by up to `tolerance` leaves the bits as they are: the
    bits are the upper half by rank, so only the gap across the median can close."""
    ranked = np.sort(dct.astype(np.float32).ravel())
    middle = (ranked.size - 1) // 2
    return bool(ranked[middle + 1] - ranked[middle] > 2 * tolerance)


def hash_buffer(buffer: Floats) -> str:
    """The PDQ hex of a 64x64 blurred-and-sampled buffer."""
    return _hex(_DCT @ buffer @ _DCT.T)


class KernelHash(NamedTuple):
    """PDQ, quality and the eight dihedral variants (pdqhash's order) of a luminance plane.

    `certain`: the plane was the full-size image and no coefficient or quality term was within
    rounding margin of a change, so `pdq` and `quality` are what pdqhash gives for it.
    """

    pdq: str
    quality: int
    variants: list[str]
    certain: bool


def hash_luma(
    plane: NDArray[np.floating],
    full_size: tuple[int, int],
    factor: int = 1,
    variants: bool = True,
) -> KernelHash:
    """PDQ, quality and dihedral variants of `plane`, the image's luminance decoded at
    1/`factor` of `full_size` (width, height); `variants=False` leaves the seven turned ones
    out (a video frame needs only its own hash)."""
    width, height = full_size
    with _one_blas_thread():
        return _hash_luma(plane, width, height, factor, variants)


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread() -> Any:
    """These products are a few milliseconds on one core; BLAS's threads, on a busy server
    (every request hashing at once), cost more in contention than they save (measured:
    half the throughput on a loaded two-core machine)."""
    return _blas().limit(limits=1, user_api="blas")


def _hash_luma(
    plane: NDArray[np.floating], width: int, height: int, factor: int, with_variants: bool
) -> KernelHash:
    # rows x 128: each row through the x kernel, then through its mirror image (rows x 64,
    # the kernel alone, when no variant is wanted).
    columns = 128 if with_variants else 64
    across = _across(np.asarray(plane, dtype=np.float32), width, factor, columns)
    # 128 x 128: the same down the columns.
    out = _across(np.ascontiguousarray(across.T), height, factor, columns).T.astype(np.float64)
    if not with_variants:
        return _finish(out, [], width, height, factor)
    same, mirror_x = out[:64, :64], out[:64, 64:]  # as it is; mirrored left-right
    mirror_y, both = out[64:, :64], out[64:, 64:]  # mirrored top-bottom; half a turn
    # np.rot90(p, 1) is p mirrored left-right then transposed; a transpose transposes the
    # buffer, since each axis keeps its own length's kernel.
    buffers = [
        same,
        mirror_x.T,  # a quarter turn
        both,  # half a turn
        mirror_y.T,  # three quarters
        mirror_y,  # mirrored top-bottom
        mirror_x,  # mirrored left-right
        same.T,  # transposed
        both.T,  # anti-transposed
    ]
    return _finish(same, [hash_buffer(b) for b in buffers[1:]], width, height, factor)


def _finish(same: Floats, turned: list[str], width: int, height: int, factor: int) -> KernelHash:
    """The hash and quality of the image's own buffer, and whether pdqhash would agree."""
    dct = _DCT @ same @ _DCT.T
    own = _hex(dct)
    terms = _gradients(same)
    certain = False
    if factor == 1:
        scale = _scale(width, height)
        certain = _hash_certain(dct, COEFFICIENT_MARGIN * scale) and _quality_certain(
            terms, 2 * BUFFER_MARGIN * scale * 100 / 255
        )
    return KernelHash(own, _quality_of(terms), [own, *turned], certain)
