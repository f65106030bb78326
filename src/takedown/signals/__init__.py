"""Signals: hashing media and matching hashes. No database, no web framework.

One module per signal type behind the `SignalType` protocol (base.py); `SIGNAL_TYPES` names
them all, so callers validate and dispatch by the signal's wire name.
"""

from __future__ import annotations

import functools

from takedown.signals.base import IndexedSignal, SignalType
from takedown.signals.digests import MD5, SHA256
from takedown.signals.keypoints import ORB
from takedown.signals.pdq import PDQ
from takedown.signals.vpdq import VPDQ

SIGNAL_TYPES: dict[str, SignalType] = {s.name: s for s in (PDQ, VPDQ, MD5, SHA256, ORB)}


def exact_signals() -> tuple[str, ...]:
    """The signals matched by equality (file digests), in registry order."""
    return tuple(name for name, s in SIGNAL_TYPES.items() if s.exact)


@functools.cache
def indexed_signals() -> tuple[IndexedSignal, ...]:
    """The signal types that hash, index and match themselves (digests, crop-robust PDQ...):
    uploads, the matcher and scans loop over these instead of naming them."""
    return tuple(s for s in SIGNAL_TYPES.values() if isinstance(s, IndexedSignal))


def signal_type(name: str) -> SignalType:
    """The signal type called `name`; ValueError naming the known ones if there is none."""
    try:
        return SIGNAL_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(SIGNAL_TYPES))
        raise ValueError(f"unknown signal {name!r}; known signals: {known}") from None


__all__ = [
    "SIGNAL_TYPES",
    "IndexedSignal",
    "SignalType",
    "exact_signals",
    "indexed_signals",
    "signal_type",
]
