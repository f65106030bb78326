"""The answers the report form offers, in the order a frightened person should see them.

Labels are message ids for the catalogue (marked with `N_` for extraction and translated in the
templates). A child in sexual content comes first: in the case behind this project the child
safety form was separate and hard to find (DESIGN rule 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from takedown.domain.vocabulary import Category, ReporterRole


def N_(message: str) -> str:
    """Marks a message for extraction; the template translates it when it is shown."""
    return message


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str = ""


CATEGORIES = [
    Choice(
        Category.CHILD_SEXUAL_EXPLOITATION,
        N_("A child is involved in sexual content"),
        N_("Sexual photos or videos of someone under 18, or a child being sexually exploited."),
    ),
    Choice(
        Category.SEXTORTION,
        N_("Someone is threatening to share sexual images"),
        N_("They want money, more images or something else, or they will share them."),
    ),
    Choice(
        Category.NON_CONSENSUAL_INTIMATE_IMAGERY,
        N_("Nude or sexual images shared without consent"),
    ),
    Choice(
        Category.GROOMING,
        N_("An adult is trying to get sexual contact with a child"),
    ),
    Choice(Category.VIOLENCE, N_("Violence or threats of violence")),
    Choice(Category.HARASSMENT, N_("Bullying or harassment")),
    Choice(Category.SPAM, N_("Spam or a scam")),
    Choice(Category.OTHER, N_("Something else")),
]

# The hash-only page is for intimate images a person holds themselves.
HASH_CATEGORIES = CATEGORIES[:3]

ROLES = [
    Choice(ReporterRole.DEPICTED_PERSON, N_("I am in it")),
    Choice(ReporterRole.PARENT_GUARDIAN, N_("I am the parent or guardian of someone in it")),
    Choice(ReporterRole.THIRD_PARTY, N_("I saw it")),
    Choice(ReporterRole.TRUSTED_FLAGGER, N_("I report for a child-safety organisation")),
    Choice(ReporterRole.LAW_ENFORCEMENT, N_("I work for the police or law enforcement")),
]

UNDER_18 = [
    Choice("yes", N_("Yes")),
    Choice("no", N_("No")),
    Choice("unknown", N_("I don't know")),
]

CASE_STATES = {
    "open": N_("Waiting for a decision by a trained reviewer"),
    "escalated": N_("Passed to senior reviewers because the decision is due soon"),
    "pending_second_review": N_("A senior reviewer is checking the first decision"),
    "decided": N_("Decided"),
    "appealed": N_("Your appeal is with a senior reviewer who did not decide before"),
    "closed": N_("Closed"),
}

CONTENT_STATES = {
    "visible": N_("The content can still be seen by the public."),
    "restricted": N_("The content is hidden from the public."),
    "removed": N_("The content was removed."),
}
