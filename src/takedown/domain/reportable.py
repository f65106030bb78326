"""Which decided cases must be reported to NCMEC's CyberTipline, and as what.

18 U.S.C. 2258A as amended by the REPORT Act (2024) reaches beyond imagery: online enticement
of a child (grooming), sextortion of a minor and child sex trafficking are reportable too, with
or without a file. Each maps to the incident type NCMEC's XSD offers for it; sextortion is
enticement with NCMEC's `sextortion` report annotation.
"""

from __future__ import annotations

from dataclasses import dataclass

from takedown.cybertipline.report import (
    INCIDENT_CHILD_PORNOGRAPHY,
    INCIDENT_CHILD_SEX_TRAFFICKING,
    INCIDENT_ONLINE_ENTICEMENT,
)
from takedown.domain.vocabulary import Category, Policy


@dataclass(frozen=True)
class Reportable:
    incident_type: str
    annotations: tuple[str, ...] = ()


def reportable(policy: Policy, minor_involved: bool) -> Reportable | None:
    """What a `violating` decision under `policy` files with NCMEC, or None when nothing."""
    if policy is Policy.CSAM:
        return Reportable(INCIDENT_CHILD_PORNOGRAPHY)
    if policy is Policy.TRAFFICKING:
        return Reportable(INCIDENT_CHILD_SEX_TRAFFICKING)
    if policy is Policy.GROOMING and minor_involved:
        return Reportable(INCIDENT_ONLINE_ENTICEMENT)
    if policy is Policy.SEXTORTION and minor_involved:
        return Reportable(INCIDENT_ONLINE_ENTICEMENT, ("sextortion",))
    return None


def minor_involved(categories: list[str], depicts_minor: list[bool]) -> bool:
    """A report said a minor is involved: the box ticked, or a child-exploitation category."""
    return any(depicts_minor) or Category.CHILD_SEXUAL_EXPLOITATION.value in categories
