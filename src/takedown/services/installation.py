"""What a use case needs from this installation beyond the database and the clock.

`Installation` is built once per process (Runtime.build) and passed explicitly by the adapters
into the service functions that need it: the settings, the evidence vault, this process's
replica of the match index, and the deadline policy. Nothing here is a module-level global, so
several installations live in one test process.

Job handlers get it in their context (takedown.jobs.JobContext). `installation_of(session)`
remains the path for rules reached deep inside a unit of work, which the request paths do not
yet hand it to: the DSA statement queued by `case_log.record`, thumbnails forgotten by a
restriction or a link, a strike counted and the copies gathered by a decision
(services.enforcement), evidence read or preserved from a text, the reveal cap, a bank's
quality floor, a filing's settings. Runtime.build attaches the one object to its sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from takedown.config import Settings
from takedown.domain.deadlines import DeadlinePolicy
from takedown.domain.vocabulary import Priority
from takedown.services.match_index import Matcher
from takedown.store.evidence_vault import EvidenceVault, parse_key

INSTALLATION = "takedown.installation"


def deadline_policy(settings: Settings) -> DeadlinePolicy:
    """The response windows per priority (TAKEDOWN_DEADLINE_P*_MINUTES)."""
    minutes = settings.deadline_minutes
    return DeadlinePolicy(windows={Priority(p): timedelta(minutes=m) for p, m in minutes.items()})


@dataclass(frozen=True)
class Installation:
    settings: Settings
    matcher: Matcher
    deadlines: DeadlinePolicy
    evidence_vault: EvidenceVault | None = field(default=None, repr=False)

    @classmethod
    def of(cls, settings: Settings) -> Installation:
        """Everything built from `settings`; the matcher is empty until it is refreshed."""
        return cls(
            settings=settings,
            matcher=Matcher(settings.pdq_threshold, settings.pdq_quality_min),
            deadlines=deadline_policy(settings),
            evidence_vault=EvidenceVault(
                settings.data_dir / "evidence", parse_key(settings.evidence_key)
            ),
        )

    @property
    def vault(self) -> EvidenceVault:
        if self.evidence_vault is None:
            raise RuntimeError("this installation has no evidence vault; build it with .of")
        return self.evidence_vault


def attach(sessions: sessionmaker[Session], installation: Installation) -> None:
    """Give every session of this factory the installation (the compatibility path)."""
    info = dict(sessions.kw.get("info") or {})
    info[INSTALLATION] = installation
    sessions.configure(info=info)


def installation_of(session: Session) -> Installation:
    """The installation attached to this session's factory. A session made elsewhere (a CLI
    command, a script) gets the defaults and a fresh matcher filled from the database (correct,
    only slower), and no evidence vault."""
    found = session.info.get(INSTALLATION)
    if isinstance(found, Installation):
        return found
    settings = Settings()
    fallback = Installation(
        settings,
        Matcher(settings.pdq_threshold, settings.pdq_quality_min),
        deadline_policy(settings),
    )
    session.info[INSTALLATION] = fallback
    return fallback
