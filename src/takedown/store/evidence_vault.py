"""Encrypted files for preserved evidence: AES-256-GCM, one file per piece, key from settings.

Each file is `MAGIC || 12-byte nonce || ciphertext+tag`, with the evidence record's id and the
piece's name as associated data, so a file copied over another one fails to open instead of
passing as the wrong evidence. The key never enters the database; without it the files are
noise.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"TDEV1\n"
NONCE_BYTES = 12


class EvidenceUnreadable(Exception):
    """The file is missing, damaged, or was written under another key."""


def parse_key(text: str) -> bytes:
    """TAKEDOWN_EVIDENCE_KEY: base64 of exactly 32 bytes (AES-256)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("TAKEDOWN_EVIDENCE_KEY must be base64 of 32 random bytes") from None
    if len(key) != 32:
        raise ValueError(f"TAKEDOWN_EVIDENCE_KEY must decode to 32 bytes (AES-256), not {len(key)}")
    return key


class EvidenceVault:
    """The folder `<data_dir>/evidence` and the key that opens what is in it."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self._aead = AESGCM(key)

    def path(self, record_id: str, piece: str) -> Path:
        if not record_id.replace("_", "").isalnum() or piece not in ("media", "meta"):
            raise ValueError("evidence names are record ids and media|meta")
        return self.root / f"{record_id}.{piece}"

    def put(self, record_id: str, piece: str, plaintext: bytes) -> None:
        """Write atomically and durably: a crash leaves the old file or the new, never half."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, f"{record_id}.{piece}".encode())
        target = self.path(record_id, piece)
        temporary = target.with_suffix(target.suffix + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(MAGIC + nonce + sealed)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o600)
        os.replace(temporary, target)

    def get(self, record_id: str, piece: str) -> bytes:
        try:
            blob = self.path(record_id, piece).read_bytes()
        except FileNotFoundError:
            raise EvidenceUnreadable(f"no evidence file for {record_id}.{piece}") from None
        if not blob.startswith(MAGIC):
            raise EvidenceUnreadable(f"{record_id}.{piece} is not an evidence file")
        nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
        sealed = blob[len(MAGIC) + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, f"{record_id}.{piece}".encode())
        except InvalidTag:
            raise EvidenceUnreadable(
                f"{record_id}.{piece} does not open with this key, or was altered"
            ) from None

    def delete(self, record_id: str) -> int:
        """Remove both pieces; returns how many files were there."""
        removed = 0
        for piece in ("media", "meta"):
            try:
                self.path(record_id, piece).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed
