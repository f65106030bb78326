"""Signals: hashing media and matching hashes. No database, no web framework.

One module per signal type behind the `SignalType` protocol (base.py); `SIGNAL_TYPES` names
them all, so callers validate and dispatch by the signal's wire name.
"""

from __future__ import annotations

from takedown.signals.base import SignalType
from takedown.signals.digests import MD5, SHA256
from takedown.signals.pdq import PDQ
from takedown.signals.vpdq import VPDQ

SIGNAL_TYPES: dict[str, SignalType] = {s.name: s for s in (PDQ, VPDQ, MD5, SHA256)}


def exact_signals() -> tuple[str, ...]:
    """The signals matched by equality (file digests), in registry order."""
    return tuple(name for name, s in SIGNAL_TYPES.items() if s.exact)


def signal_type(name: str) -> SignalType:
    """The signal type called `name`; ValueError naming the known ones if there is none."""
    try:
        return SIGNAL_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(SIGNAL_TYPES))
        raise ValueError(f"unknown signal {name!r}; known signals: {known}") from None


__all__ = ["SIGNAL_TYPES", "SignalType", "exact_signals", "signal_type"]
