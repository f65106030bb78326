"""Imports every module that defines tables, so `Base.metadata` knows the whole schema.

A feature area that adds tables puts them in a module of its own under `store/` and adds one
import here; migrations and tests import this module, never the pieces.
"""

import takedown.store.audit  # the staff audit log
import takedown.store.banks  # banks of known hashes and their entries
import takedown.store.exchanges  # hash exchanges: fetch state and provenance per entry
import takedown.store.exposure  # view counts the platform reports over time
import takedown.store.filings  # evidence, legal holds, CyberTipline filings
import takedown.store.intake  # staff log-in attempts (the brute-force throttle)
import takedown.store.oversight  # case measures, view counts, the reveal cap
import takedown.store.review  # noqa: F401  (claims, decisions, appeals, staff sessions)
from takedown.store.models import Base

__all__ = ["Base"]
