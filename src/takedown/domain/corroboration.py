"""A bystander's child-safety report, and the second signal that lets it hide content at once.

One bystander's word is reviewed within four hours (P1): on its own it cannot hide an item,
or anyone could hide anything. But that left the item in the case behind this project public
for hours (issue 13). When a second, independent signal agrees, the item is hidden at once:

- a second distinct reporter of a child-safety problem, counted as DESIGN rule 12 counts
  reporters (key-less reports: one per client address, whatever account they claim; forwarded
  reports: one per platform account), where a forwarded report counts only when its account
  is in good standing (not suspended, no confirmed violation): a platform vouches for who its
  users are, not for the banned ones;
- a match of the item (or a copy in its case) in any bank;
- the uploader's earlier confirmed violation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Signal(StrEnum):
    SECOND_REPORTER = "second_reporter"
    FORWARDED_IN_GOOD_STANDING = "forwarded_report_from_account_in_good_standing"
    BANK_MATCH = "bank_match"
    UPLOADER_RECORD = "uploaders_earlier_confirmed_case"


REASONS = {
    Signal.SECOND_REPORTER: "a second, independent reporter agrees",
    Signal.FORWARDED_IN_GOOD_STANDING: (
        "a report forwarded by the platform from an account in good standing agrees"
    ),
    Signal.BANK_MATCH: "the item matches a bank",
    Signal.UPLOADER_RECORD: "the uploader has an earlier confirmed violation",
}


@dataclass(frozen=True)
class ChildSafetyReport:
    """One child-safety report on the case, as far as counting its reporter goes."""

    reporter_key: str
    forwarded: bool
    # Only for forwarded reports: the account is neither suspended nor has a confirmed case.
    account_in_good_standing: bool = True


@dataclass(frozen=True)
class Corroboration:
    signal: Signal
    # A count of reporters, which a burst of new reporters may withhold (domain.report_abuse);
    # the other signals are not counts.
    by_reporters: bool

    @property
    def reason(self) -> str:
        return "child-safety report by a bystander, and " + REASONS[self.signal]


def agreeing_signal(
    reports: Iterable[ChildSafetyReport], bank_match: bool, uploader_confirmed_before: bool
) -> Corroboration | None:
    """The independent signal that agrees with the case's child-safety reports, if any."""
    if bank_match:
        return Corroboration(Signal.BANK_MATCH, by_reporters=False)
    if uploader_confirmed_before:
        return Corroboration(Signal.UPLOADER_RECORD, by_reporters=False)
    counted: dict[str, ChildSafetyReport] = {}
    for report in reports:
        if report.forwarded and not report.account_in_good_standing:
            continue
        counted.setdefault(report.reporter_key, report)
    if len(counted) < 2:
        return None
    signal = (
        Signal.FORWARDED_IN_GOOD_STANDING
        if any(r.forwarded for r in counted.values())
        else Signal.SECOND_REPORTER
    )
    return Corroboration(signal, by_reporters=True)
