"""Exact file digests (MD5 and SHA-256): the signals shared with NCMEC and industry hash lists.

They match only byte-identical files, so they are looked up exactly (`ExactIndex`), never by
distance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from takedown.signals.base import MediaKind, normalise_hex


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

    def acts_alone(self, quality: int | None, quality_min: int) -> bool:
        return True


MD5 = DigestSignal("md5", 32)
SHA256 = DigestSignal("sha256", 64)
