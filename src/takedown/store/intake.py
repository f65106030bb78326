"""Staff log-in attempts: the brute-force throttle reads them, and they are the audit of
failures (issue 10, finding 6). Kept apart from the case log: no case is involved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from takedown.store.models import Base
from takedown.store.types import UTCDateTime


class LoginAttempt(Base):
    __tablename__ = "staff_login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The name as typed (it may name no one) and the client address, as the trusted-proxy
    # rule decides it.
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(100))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why it failed: wrong_password, throttled_account, throttled_address.
    outcome: Mapped[str] = mapped_column(String(30))

    __table_args__ = (
        Index("ix_staff_login_attempts_name_at", "name", "at"),
        Index("ix_staff_login_attempts_address_at", "address", "at"),
    )
