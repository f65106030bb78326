"""Which bank matches may act: suppression vetoes and flood quarantine. Pure rules, no I/O.

A perceptual hash collides now and then: a known benign image (a logo, a meme template, a
blank frame) can sit within PDQ distance of a banked one and would then be hidden, and its
uploader suspended, every time it is posted (DESIGN rule 11, no one innocent swept in). Two
defences, both asked for by HMA's users (facebook/ThreatExchange #1994 among them):

- a **suppression bank** holds such benign media; when the media also match one of its
  entries, perceptual matches are vetoed. An exact match (MD5, SHA-256) is the banked file
  itself and is vetoed only by an exact suppression entry: a benign look-alike cannot excuse
  the very file that was banked.
- **flood quarantine**: an entry that matches more than a set number of distinct items within
  an hour is more likely a collision than a wave of copies; it stops acting on its own and a
  lead looks at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

EXACT_SIGNALS = frozenset({"md5", "sha256"})
FLOOD_WINDOW = timedelta(hours=1)


def vetoed(signal: str, suppressing_signals: Iterable[str]) -> bool:
    """Whether a match on `signal` is vetoed by suppression matches on these signals."""
    suppressors = set(suppressing_signals)
    if not suppressors:
        return False
    if signal in EXACT_SIGNALS:
        return bool(suppressors & EXACT_SIGNALS)
    return True


def floods(distinct_items_in_window: int, limit: int) -> bool:
    """Whether an entry that matched this many distinct items in the window is quarantined.
    A limit of 0 turns quarantine off."""
    return limit > 0 and distinct_items_in_window > limit
