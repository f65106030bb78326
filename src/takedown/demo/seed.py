"""Setting up `takedown demo`: staff logins, the platform's key and webhook, a synthetic bank,
and a few posts. Safe to run again: what exists is kept, and passwords are printed only once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from takedown.demo import media as synthetic
from takedown.demo.platform import Platform
from takedown.demo.platform.store import Post
from takedown.runtime import Runtime
from takedown.services.access import create_api_key, create_user
from takedown.store.models import User

# Two leads: an appeal, and the second review of a dismissal, need a lead who did not decide.
STAFF = (("reviewer", "reviewer"), ("lead", "lead"), ("lead2", "lead"), ("admin", "admin"))
BANK = "demo-synthetic-csam"
BANK_DESCRIPTION = (
    "SYNTHETIC TEST HASHES ONLY: hashes of generated pictures made by the demo "
    "(takedown.demo.media.KNOWN_SEEDS). No real material was ever hashed."
)
POSTS = (
    ("ada", "image", "First light over the bay"),
    ("bo", "image", "Shapes I made today"),
    ("ada", "video", "A six-second loop"),
    ("chen", "image", "Gradient study #3"),
    ("bo", "image", "Noise and colour"),
    ("chen", "video", "Moving squares"),
)


@dataclass
class DemoState:
    """What the demo must remember between runs, kept in the data folder (mode 600)."""

    path: Path
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, data_dir: Path) -> DemoState:
        path = data_dir / "demo.json"
        values = json.loads(path.read_text()) if path.exists() else {}
        return cls(path, values)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.values, indent=2))
        self.path.chmod(0o600)


def seed_staff(rt: Runtime) -> list[tuple[str, str, str | None]]:
    """Create the reviewer, the two leads and the admin logins.

    Returns (name, role, new password or None) for each."""
    out: list[tuple[str, str, str | None]] = []
    with rt.transaction() as session:
        for name, role in STAFF:
            if session.scalars(select(User).where(User.name == name)).first() is not None:
                out.append((name, role, None))
                continue
            password = secrets.token_urlsafe(12)
            create_user(session, name, role, password, rt.clock.now())
            out.append((name, role, password))
    return out


def seed_keys(rt: Runtime, state: DemoState) -> None:
    """The platform's API key and webhook secret, and an admin key the demo seeds banks with."""
    with rt.transaction() as session:
        if "platform_key" not in state.values:
            state.values["platform_key"] = create_api_key(
                session, "demo-platform", "platform", rt.clock.now()
            )
        if "admin_key" not in state.values:
            state.values["admin_key"] = create_api_key(
                session, "demo-setup", "admin", rt.clock.now()
            )
    state.values.setdefault("webhook_secret", "whsec-" + secrets.token_urlsafe(24))
    state.save()


def register_webhook(takedown: httpx.Client, state: DemoState, url: str) -> None:
    """Once per platform url, as a platform would at installation (POST /v1/webhooks)."""
    if state.values.get("webhook_url") == url:
        return
    response = takedown.post(
        "/v1/webhooks",
        json={"url": url, "secret": state.values["webhook_secret"]},
        headers={"Authorization": f"Bearer {state.values['platform_key']}"},
    )
    response.raise_for_status()
    state.values["webhook_url"] = url
    state.save()


def seed_bank(takedown: httpx.Client, state: DemoState) -> str:
    """A child-safety bank of hashes of the demo's synthetic "known" pictures; says what it did."""
    if state.values.get("bank") == BANK:
        return f"bank {BANK} (synthetic test hashes) is in place"
    headers = {"Authorization": f"Bearer {state.values['admin_key']}"}
    response = takedown.post(
        "/v1/banks",
        json={
            "name": BANK,
            "action": "block",
            "child_safety": True,
            "description": BANK_DESCRIPTION,
        },
        headers=headers,
    )
    if response.status_code in (404, 405):
        return "banks are not available in this build yet (issue 3); no bank seeded"
    if response.status_code not in (200, 201, 409):
        return f"could not create the bank: {response.status_code} {response.text[:200]}"
    hashes: list[dict[str, Any]] = []
    for index in range(len(synthetic.KNOWN_SEEDS)):
        data = synthetic.known_image(index).data
        note = "synthetic test picture"
        hashes.append({"signal": "md5", "value": hashlib.md5(data).hexdigest(), "note": note})
        hashes.append({"signal": "sha256", "value": hashlib.sha256(data).hexdigest(), "note": note})
    added = takedown.post(f"/v1/banks/{BANK}/hashes", json={"hashes": hashes}, headers=headers)
    if added.status_code >= 300:
        return f"bank created, hashes refused: {added.status_code} {added.text[:200]}"
    state.values["bank"] = BANK
    state.save()
    return f"bank {BANK}: {len(hashes)} synthetic test hashes"


def seed_posts(platform: Platform) -> int:
    """A few posts with generated media, registered with Takedown like any upload."""
    with platform.transaction() as session:
        if session.scalars(select(Post).limit(1)).first() is not None:
            return 0
    for index, (account, kind, caption) in enumerate(POSTS):
        item = synthetic.generate(kind, 1000 + index, caption)
        platform.create_post(account, caption, item)
    return len(POSTS)
