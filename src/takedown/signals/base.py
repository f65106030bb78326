"""The one small interface every signal type implements.

A signal is something computed from media that lets two copies be recognised as the same
(DESIGN.md: banks hold PDQ, vPDQ, MD5 and SHA-256). Each type lives in its own module and
registers itself in `takedown.signals.SIGNAL_TYPES`; adding a type (TMK, PhotoDNA, an
embedding) is one more module and nothing else changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image

    from takedown.signals.media import MediaLimits

MediaKind = Literal["image", "video"]

_HEX = re.compile(r"[0-9a-f]+")


@runtime_checkable
class SignalType(Protocol):
    """A kind of signal: its wire name, the media it applies to, and how to check a value."""

    @property
    def name(self) -> str:
        """The name on the wire and in banks (`pdq`, `vpdq`, `md5`, `sha256`)."""
        ...

    @property
    def media_kinds(self) -> frozenset[MediaKind]:
        """The media this signal is computed from."""
        ...

    @property
    def exact(self) -> bool:
        """True when two values match only if equal (digests); False for distance matching."""
        ...

    def validate(self, value: object) -> str:
        """Return the canonical text of `value`, or raise ValueError saying what is wrong.

        Canonical means lower-case hex for hashes, so the same hash is stored and compared
        once, however a client spelled it.
        """
        ...

    def acts_alone(self, quality: int | None, quality_min: int) -> bool:
        """Whether a value of this quality may be acted on by itself, given the configured
        floor (TAKEDOWN_PDQ_QUALITY_MIN); one below it is stored but never matched alone."""
        ...


def normalise_hex(value: object, length: int, name: str) -> str:
    """Lower-case hex of exactly `length` characters, or ValueError naming the signal."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string of {length} hexadecimal characters")
    text = value.strip().lower()
    if len(text) != length or not _HEX.fullmatch(text):
        raise ValueError(f"{name} must be {length} hexadecimal characters")
    return text


class SignalIndex(Protocol):
    """A signal's own index: values under integer keys, searched within a distance."""

    def add(self, keys: Sequence[int], values: Sequence[str]) -> None: ...

    def remove(self, keys: Iterable[int]) -> None: ...

    def search(self, value: str, threshold: int) -> list[tuple[int, int]]:
        """(key, distance) of every stored value within `threshold` of `value`."""
        ...


@runtime_checkable
class IndexedSignal(SignalType, Protocol):
    """A signal type that plugs in whole: it hashes files itself, owns its index and its match
    rule. The matcher, uploads, scans, `takedown hash`, CSV and `/v1/match` loop over these, so
    a new one is one module and its registration (DESIGN.md, "Extension points")."""

    @property
    def threshold(self) -> int:
        """The largest distance that still counts as a match (0 for digests)."""
        ...

    def hash_file(self, data: bytes, kind: MediaKind, limits: MediaLimits) -> str | None:
        """This signal's canonical value for a file of `kind`, or None where it does not
        apply; raises MediaRejected (a 4xx) for media it cannot read."""
        ...

    def new_index(self) -> SignalIndex:
        """An empty index for values of this signal."""
        ...


@runtime_checkable
class PictureSignal(IndexedSignal, Protocol):
    """An image signal that can read a picture already decoded, so an upload is decoded once
    for all of them (hash_media); `hash_picture` gives what `hash_file` gives for the file."""

    def hash_picture(self, image: Image.Image) -> str | None: ...
