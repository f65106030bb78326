"""View counts the platform reports for an item over time.

Each `PATCH /v1/content/{id}` with `views` adds one row, so the views an item gathered after
its first report (how long the public kept seeing it) can be measured, not guessed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from takedown.store.models import Base
from takedown.store.types import UTCDateTime


class ViewCount(Base):
    __tablename__ = "content_view_counts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("content_items.id"))
    views: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_content_view_counts_item_at", "item_id", "observed_at"),)


__all__ = ["ViewCount"]
