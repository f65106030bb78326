"""Imports every module that defines tables, so `Base.metadata` knows the whole schema.

A feature area that adds tables puts them in a module of its own under `store/` and adds one
import here; migrations and tests import this module, never the pieces.
"""

import takedown.store.banks  # banks of known hashes and their entries
import takedown.store.exchanges  # hash exchanges: fetch state and provenance per entry
import takedown.store.filings  # evidence, legal holds, CyberTipline filings
import takedown.store.review  # noqa: F401  (claims, decisions, appeals, staff sessions)
from takedown.store.models import Base

__all__ = ["Base"]
