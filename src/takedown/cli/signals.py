"""`takedown hash FILE...`: print the signals of files, offline.

For people on a victim's side and for analysts: the media never leaves the machine; only the
hashes printed here would be shared (DESIGN.md rule 2: no identity demand, Take It Down style).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from takedown.signals.hashing import hash_media
from takedown.signals.media import MediaLimits, MediaRejected, too_large


def hash_files(
    files: list[Path] = typer.Argument(..., help="Images or videos to hash."),
) -> None:
    """Print one JSON object per file: its signals (pdq, pdq_quality, md5, sha256, or vpdq).

    Sends nothing anywhere. Exits 1 after the others are printed if any file could not be
    hashed, with one line on stderr for each such file.
    """
    limits = MediaLimits()
    failed = False
    for path in files:
        try:
            if not path.is_file():
                raise MediaRejected("not_found", "no such file", 404)
            size = path.stat().st_size
            if size > limits.max_bytes:  # refuse before reading it into memory
                raise too_large(size, limits)
            signals = hash_media(path.read_bytes(), limits)
        except MediaRejected as exc:
            typer.echo(f"takedown: {path}: {exc.message}", err=True)
            failed = True
            continue
        except OSError as exc:
            typer.echo(f"takedown: {path}: {exc.strerror or exc}", err=True)
            failed = True
            continue
        record = {"file": str(path), "kind": signals.kind, **signals.as_json()}
        typer.echo(json.dumps(record))
    if failed:
        raise typer.Exit(1)
