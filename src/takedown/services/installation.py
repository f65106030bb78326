"""What a use case needs from this installation beyond the database: settings and the vault.

Runtime.build puts both on every session it makes (`Session.info`), so entry points with a
fixed signature, such as `enforcement.apply_final_decision` or `evidence.read_media`, reach the
configured strike threshold or the evidence key without a module-level global (several runtimes
live in one test process).
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from takedown.config import Settings
from takedown.store.evidence_vault import EvidenceVault, parse_key

SETTINGS = "takedown.settings"
VAULT = "takedown.evidence_vault"


def attach(sessions: sessionmaker[Session], settings: Settings) -> EvidenceVault:
    """Give every session of this factory the settings and the evidence vault."""
    vault = EvidenceVault(settings.data_dir / "evidence", parse_key(settings.evidence_key))
    # Merged with what other areas put there (matching.attach), in either order.
    info = dict(sessions.kw.get("info") or {})
    info.update({SETTINGS: settings, VAULT: vault})
    sessions.configure(info=info)
    return vault


def settings_of(session: Session) -> Settings:
    settings = session.info.get(SETTINGS)
    return settings if isinstance(settings, Settings) else Settings()


def vault_of(session: Session) -> EvidenceVault:
    vault = session.info.get(VAULT)
    if not isinstance(vault, EvidenceVault):
        raise RuntimeError("this session has no evidence vault; build it through Runtime.build")
    return vault
