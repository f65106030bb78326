"""Exact file digests (MD5 and SHA-256): the signals shared with NCMEC and industry hash lists.

They match only byte-identical files, so they are looked up exactly (`ExactIndex`), never by
distance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from takedown.signals.base import MediaKind, normalise_hex
from takedown.signals.index import ExactIndex

if TYPE_CHECKING:
    from takedown.signals.media import MediaLimits


def md5_hex(data: bytes) -> str:
    """MD5 of the file, lower-case hex (used by hash lists, not for security)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def sha256_hex(data: bytes) -> str:
    """SHA-256 of the file, lower-case hex."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class DigestSignal:
    """An exact digest signal type: a fixed-length hex value compared for equality."""

    name: str
    length: int
    media_kinds: frozenset[MediaKind] = field(default=frozenset({"image", "video"}))
    exact: bool = True

    def validate(self, value: object) -> str:
        return normalise_hex(value, self.length, self.name)

    threshold: int = 0

    def acts_alone(self, quality: int | None, quality_min: int) -> bool:
        return True

    def hash_file(self, data: bytes, kind: MediaKind, limits: MediaLimits) -> str:
        return hashlib.new(self.name, data).hexdigest()

    def new_index(self) -> DigestIndex:
        return DigestIndex()


class DigestIndex:
    """Digests are equal or not: every hit is at distance 0."""

    def __init__(self) -> None:
        self._exact = ExactIndex()

    def __len__(self) -> int:
        return len(self._exact)

    def add(self, keys: Sequence[int], values: Sequence[str]) -> None:
        self._exact.add(keys, values)

    def remove(self, keys: Iterable[int]) -> None:
        self._exact.remove(keys)

    def search(self, value: str, threshold: int = 0) -> list[tuple[int, int]]:
        return [(key, 0) for key in self._exact.search(value)]


MD5 = DigestSignal("md5", 32)
SHA256 = DigestSignal("sha256", 64)
