"""Resetting a staff password signs that person out everywhere (services.staff_accounts)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from takedown.services import access, staff_sessions
from takedown.services.errors import Invalid, NotFound
from takedown.services.staff_accounts import list_users, reset_password
from tests.support.factories import Api


def test_a_reset_ends_open_sessions_and_only_the_new_password_works(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    rt = api.runtime
    with rt.transaction() as session:
        lena = access.create_user(session, "lena", "lead", "the old password", rt.clock.now())
        access.create_user(session, "rita", "reviewer", "rita's password", rt.clock.now())
        lena_cookie = staff_sessions.start(session, lena, rt.clock.now())
    with rt.transaction() as session:
        with pytest.raises(NotFound):
            reset_password(session, "nobody", "a long new password", rt.clock.now())
        with pytest.raises(Invalid):
            reset_password(session, "lena", "short", rt.clock.now())
        assert staff_sessions.resolve(session, lena_cookie, rt.clock.now()) is not None
    with rt.transaction() as session:
        reset_password(session, "lena", "a long new password", rt.clock.now())
    with rt.transaction() as session:
        assert staff_sessions.resolve(session, lena_cookie, rt.clock.now()) is None
        assert access.authenticate_user(session, "lena", "a long new password") is not None
        assert access.authenticate_user(session, "lena", "the old password") is None
        assert access.authenticate_user(session, "rita", "rita's password") is not None
        assert [(u.name, u.role) for u in list_users(session)] == [
            ("lena", "lead"),
            ("rita", "reviewer"),
        ]
